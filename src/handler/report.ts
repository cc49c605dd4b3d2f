/**
 * The only module of the handler that writes to stdout or stderr. Output is for a person reading a
 * Terraform log: one line per action on stdout, and on failure one coded line (plus an optional
 * hint) on stderr. Every line passes through a redactor that knows the secrets of this run.
 */
import { HandlerError, toHandlerError } from "./errors";

export type LogLevel = "info" | "debug";

export interface Reporter {
  /** One line per action: `dimensions: <subject>: <text> (<n> requests)`. */
  action(subject: string, text: string, requests?: number): void;
  /** Something the reader should notice that does not fail the run. */
  warn(subject: string, text: string): void;
  /** Only shown with DIMENSIONS_LOG_LEVEL=debug. */
  debug(text: string): void;
  /** Registers a value that must never be printed (it is replaced by ***). */
  secret(value: string | undefined): void;
  /**
   * A reporter for work run concurrently with other work on the same client, where a request
   * count per action would mix several objects' requests: its action lines carry no count.
   */
  uncounted(): Reporter;
}

export interface Sink {
  out(line: string): void;
  err(line: string): void;
}

const consoleSink: Sink = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export const PREFIX = "dimensions:";

export function requestsSuffix(requests: number | undefined): string {
  if (requests === undefined) return "";
  return ` (${requests} request${requests === 1 ? "" : "s"})`;
}

/** Shared between a reporter and its uncounted views so a secret registered by one hides it in all. */
class Redactor {
  private readonly secrets = new Set<string>();
  add(value: string | undefined): void {
    // Very short values would redact ordinary words; real secrets are long.
    if (value && value.length >= 6) this.secrets.add(value);
  }
  apply(line: string): string {
    let out = line;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }
}

class LineReporter implements Reporter {
  constructor(
    private readonly sink: Sink,
    private readonly level: LogLevel,
    private readonly redactor: Redactor,
    private readonly counted: boolean,
  ) {}

  action(subject: string, text: string, requests?: number): void {
    this.out(`${PREFIX} ${subject}: ${text}${this.counted ? requestsSuffix(requests) : ""}`);
  }
  warn(subject: string, text: string): void {
    // stdout, not stderr: stderr is kept for the one line that explains a failure.
    this.out(`${PREFIX} warning: ${subject}: ${text}`);
  }
  debug(text: string): void {
    if (this.level === "debug") this.out(`${PREFIX} debug: ${text}`);
  }
  secret(value: string | undefined): void {
    this.redactor.add(value);
  }
  uncounted(): Reporter {
    return new LineReporter(this.sink, this.level, this.redactor, false);
  }
  /** Prints the failure: one coded line, then the hint line if there is one. */
  fail(error: unknown): void {
    const e = error instanceof HandlerError ? error : toHandlerError(error);
    for (const line of formatFailure(e)) this.sink.err(this.redactor.apply(line));
  }
  private out(line: string): void {
    this.sink.out(this.redactor.apply(line));
  }
}

export type FailingReporter = Reporter & { fail(error: unknown): void };

export function createReporter(options: { level?: LogLevel; sink?: Sink; secrets?: Array<string | undefined> } = {}): FailingReporter {
  const redactor = new Redactor();
  for (const s of options.secrets ?? []) redactor.add(s);
  return new LineReporter(options.sink ?? consoleSink, options.level ?? "info", redactor, true);
}

/**
 * One format for every failure, the order of the synth findings (`Code [rule]: message`):
 * `dimensions: <Code> [<rule>]: <subject>: <message>`, e.g.
 * `dimensions: LastUserAdministrator [U4]: user ana@acme.test (ACME-001): There must be …`;
 * without a rule `dimensions: <Code>: …`, without a subject `dimensions: <Code>: <message>`. Then,
 * if any, `dimensions: hint: <hint>`. Every part is flattened to one line of printable text (an
 * API's message may hold line breaks or terminal escapes), so a failure is always one line.
 */
export function formatFailure(error: HandlerError): string[] {
  const rule = error.rule ? ` [${oneLine(error.rule)}]` : "";
  const subject = error.subject ? `${oneLine(error.subject)}: ` : "";
  const lines = [`${PREFIX} ${oneLine(error.code)}${rule}: ${subject}${oneLine(error.message)}`];
  if (error.hint) lines.push(`${PREFIX} hint: ${oneLine(error.hint)}`);
  return lines;
}

function oneLine(text: string): string {
  return (
    text
      .replace(/\s*[\r\n\u2028\u2029]+\s*/g, " ")
      // C0 and C1 controls (ESC of a terminal escape among them) are not text.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")
      .trim()
  );
}
