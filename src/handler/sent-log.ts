/**
 * What a tenant's release already sent (H5, U14): when the release fails after some e-mails went
 * out (another user's change, or one send, refused), the resource stays in state and the next
 * apply runs the same release again; this log keeps it from sending those e-mails twice. It lives
 * where the markers do: a file per customer beside them (`<stem>.sent.jsonl`, a line appended per
 * send), or with the pg backend a row per send beside the state (pg-markers.ts), which every CI
 * runner sees; cleared once the customer's change succeeded and its marker was written. An entry older than SENT_LOG_MAX_AGE_MS is
 * no evidence: a change undone meanwhile and made again is another change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { EMAIL_KINDS, MARKER_DIR, markerStem, type EmailKind } from "../contracts/handler";

export const SENT_LOG_MAX_AGE_MS = 7 * 86_400_000;

export interface SentLog {
  /** When this e-mail (user, kind, trigger value) was sent by an unfinished change of customer `key`; ms since the epoch. */
  sentAt(key: string, email: string, kind: EmailKind, value: string): number | undefined;
  record(key: string, email: string, kind: EmailKind, value: string, at: number): void;
  /** The customer's change succeeded: nothing is left to guard. */
  clear(key: string): void;
}

const sentEntry = z.object({ value: z.string(), at: z.number() });
/** A whole customer's log in one file (`<stem>.sent.json`), as earlier handlers wrote it: still read. */
const sentFile = z.object({
  version: z.literal(1),
  key: z.string(),
  users: z.record(z.string(), z.partialRecord(z.enum(EMAIL_KINDS), sentEntry)),
});

/**
 * One e-mail a change sent: a line of a customer's file log, a row of the pg log. One record per
 * send, never the whole log rewritten: a change that sends 5,000 e-mails writes 5,000 small
 * records, not 5,000 copies of a growing log.
 */
export const sentRecord = z.object({
  version: z.literal(1),
  key: z.string(),
  email: z.string(),
  kind: z.enum(EMAIL_KINDS),
  value: z.string(),
  at: z.number(),
});
export type SentRecord = z.infer<typeof sentRecord>;

/** What one customer's unfinished change sent: the latest send of each user and kind. */
export class SentEntries {
  private readonly latest = new Map<string, { readonly value: string; readonly at: number }>();

  get size(): number {
    return this.latest.size;
  }

  sentAt(email: string, kind: EmailKind, value: string): number | undefined {
    const entry = this.latest.get(`${email.toLowerCase()}\n${kind}`);
    return entry?.value === value ? entry.at : undefined;
  }

  add(email: string, kind: EmailKind, value: string, at: number): void {
    this.latest.set(`${email.toLowerCase()}\n${kind}`, { value, at });
  }
}

export class FileSentLog implements SentLog {
  private readonly dir: string;
  /** Each customer's log, read once by this run (the only writer of it: runs hold the state's lock). */
  private readonly loaded = new Map<string, { entries: SentEntries; endsTorn: boolean }>();

  /** `manifestFile`: the stack's manifest; the log goes to `<its folder>/.dimensions-markers/`. */
  constructor(manifestFile: string) {
    this.dir = path.join(path.dirname(manifestFile), MARKER_DIR);
  }

  sentAt(key: string, email: string, kind: EmailKind, value: string): number | undefined {
    return this.load(key).entries.sentAt(email, kind, value);
  }

  record(key: string, email: string, kind: EmailKind, value: string, at: number): void {
    const log = this.load(key);
    log.entries.add(email, kind, value, at);
    const record: SentRecord = { version: 1, key, email: email.toLowerCase(), kind, value, at };
    fs.mkdirSync(this.dir, { recursive: true });
    // One line appended per send. After a torn last line (a crash mid-write), a newline first,
    // so that this line is not glued to it.
    fs.appendFileSync(this.lines(key), `${log.endsTorn ? "\n" : ""}${JSON.stringify(record)}\n`);
    log.endsTorn = false;
  }

  clear(key: string): void {
    this.loaded.delete(key);
    fs.rmSync(this.lines(key), { force: true });
    fs.rmSync(this.whole(key), { force: true });
  }

  private lines(key: string): string {
    return path.join(this.dir, `${markerStem(key)}.sent.jsonl`);
  }

  private whole(key: string): string {
    return path.join(this.dir, `${markerStem(key)}.sent.json`);
  }

  private load(key: string): { entries: SentEntries; endsTorn: boolean } {
    const found = this.loaded.get(key);
    if (found) return found;
    const entries = new SentEntries();
    // A torn or foreign file or line guards nothing (at worst an e-mail is sent again, never lost).
    const whole = sentFile.safeParse(parseJson(readText(this.whole(key))));
    if (whole.success && whole.data.key === key) {
      for (const [email, kinds] of Object.entries(whole.data.users)) {
        for (const kind of EMAIL_KINDS) {
          const entry = kinds[kind];
          if (entry) entries.add(email, kind, entry.value, entry.at);
        }
      }
    }
    const text = readText(this.lines(key)) ?? "";
    for (const line of text.split("\n")) {
      const parsed = sentRecord.safeParse(parseJson(line));
      if (parsed.success && parsed.data.key === key) entries.add(parsed.data.email, parsed.data.kind, parsed.data.value, parsed.data.at);
    }
    const log = { entries, endsTorn: text.length > 0 && !text.endsWith("\n") };
    this.loaded.set(key, log);
    return log;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** For tests: the log kept in memory. */
export class MemorySentLog implements SentLog {
  readonly entries = new Map<string, number>();
  sentAt(key: string, email: string, kind: EmailKind, value: string): number | undefined {
    return this.entries.get(JSON.stringify([key, email.toLowerCase(), kind, value]));
  }
  record(key: string, email: string, kind: EmailKind, value: string, at: number): void {
    for (const k of [...this.entries.keys()]) {
      const [ek, ee, ekind] = JSON.parse(k) as string[];
      if (ek === key && ee === email.toLowerCase() && ekind === kind) this.entries.delete(k);
    }
    this.entries.set(JSON.stringify([key, email.toLowerCase(), kind, value]), at);
  }
  clear(key: string): void {
    for (const k of [...this.entries.keys()]) if ((JSON.parse(k) as string[])[0] === key) this.entries.delete(k);
  }
}
