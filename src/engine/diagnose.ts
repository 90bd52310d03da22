/**
 * Saying how a gradient is wrong (the folder diagnose/, one module per
 * pattern; diagnose/index.ts gives their order). This file is the folder's
 * public face: import from here.
 */
export { combineDiagnoses, diagnose, nameFactor, type DiagnoseInput } from "./diagnose/index.js";
