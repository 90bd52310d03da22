// Types of gradnet.validate.js, the schema's validator that `npm run gen-schema` generates (validator-code.ts).
import type { ErrorObject } from "ajv";

interface ValidateNetwork {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}
declare const validate: ValidateNetwork;
export default validate;
