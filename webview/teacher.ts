/**
 * Where the teaching views get their numbers: inside VS Code the host computes
 * them in the worker (a `teach` message, answered by `taught`); on the
 * standalone `--html` page they were made up front and embedded (the lesson).
 * Answers are kept per question for the report on show.
 */
import { entryText, parseEntry } from "../src/shared/names.js";
import type { Lesson, TeachAnswer, TeachRequest } from "../src/shared/teach.js";

/** One key per question: `fc.W[1,0]` and `fc.W[1, 0]` are the same entry. */
export function keyOf(r: TeachRequest): string {
  switch (r.kind) {
    case "explain": {
      const e = parseEntry(r.entry);
      return `explain:${"error" in e ? r.entry : entryText(e.tensor, e.index)}`;
    }
    case "sweep": return `sweep:${r.node}`;
    case "descent": return `descent:${r.steps ?? ""}:${r.lr ?? ""}`;
    case "values": return "values";
  }
}

export class Teacher {
  private answers = new Map<string, TeachAnswer>();
  private pending = new Set<string>();

  /** post: sends a question to the host (absent on the standalone page). */
  constructor(private readonly post: ((r: TeachRequest) => void) | undefined, private readonly onAnswer: (r: TeachRequest, a: TeachAnswer) => void) {}

  /** Forget every answer (a new report); take those of an embedded or saved lesson. */
  reset(lesson?: Lesson): void {
    this.answers.clear();
    this.pending.clear();
    if (!lesson) return;
    if (lesson.values) this.answers.set("values", { kind: "values", values: lesson.values });
    if (lesson.descent) this.answers.set(keyOf({ kind: "descent" }), { kind: "descent", descent: lesson.descent });
    for (const s of lesson.sweeps ?? []) this.answers.set(keyOf({ kind: "sweep", node: s.node }), { kind: "sweep", sweep: s });
    for (const e of Object.values(lesson.explanations ?? {})) this.answers.set(keyOf({ kind: "explain", entry: e.entry }), { kind: "explain", explanation: e });
  }

  get(r: TeachRequest): TeachAnswer | undefined {
    return this.answers.get(keyOf(r));
  }

  isPending(r: TeachRequest): boolean {
    return this.pending.has(keyOf(r));
  }

  /** The answer when known; else ask the host (once) and return undefined until `receive`. */
  ask(r: TeachRequest): TeachAnswer | undefined {
    const known = this.get(r);
    if (known) return known;
    const key = keyOf(r);
    if (!this.post) {
      const answer: TeachAnswer = { kind: "error", message: noHost(r) };
      this.answers.set(key, answer);
      return answer;
    }
    if (!this.pending.has(key)) {
      this.pending.add(key);
      this.post(r);
    }
    return undefined;
  }

  receive(r: TeachRequest, a: TeachAnswer): void {
    const key = keyOf(r);
    this.pending.delete(key);
    this.answers.set(key, a);
    this.onAnswer(r, a);
  }

  /** The answers as a lesson (kept in the webview's state across a reload). */
  lesson(): Lesson {
    const lesson: Lesson = { sweeps: [], explanations: {} };
    for (const a of this.answers.values()) {
      if (a.kind === "values") lesson.values = a.values;
      else if (a.kind === "descent" && !lesson.descent) lesson.descent = a.descent;
      else if (a.kind === "sweep") lesson.sweeps!.push(a.sweep);
      else if (a.kind === "explain") lesson.explanations![a.explanation.entry] = a.explanation;
    }
    return lesson;
  }
}

function noHost(r: TeachRequest): string {
  const cmd = r.kind === "explain" ? `gradlens explain FILE '${r.entry}'` : r.kind === "sweep" ? `gradlens sweep FILE --node ${r.node}` : r.kind === "descent" ? "gradlens descent FILE" : "gradlens check FILE --html OUT";
  return `This page was written without it: run \`${cmd}\`, or open the network in VS Code.`;
}
