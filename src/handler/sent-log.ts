/**
 * What a tenant's release already sent (H5, U14): when the release fails after some e-mails went
 * out (another user's change, or one send, refused), the resource stays in state and the next
 * apply runs the same release again; this log keeps it from sending those e-mails twice. It lives
 * where the markers do: one small JSON file per customer beside them (`<stem>.sent.json`), written
 * atomically, or with the pg backend a row beside the state (pg-markers.ts), which every CI runner
 * sees; cleared once the customer's change succeeded. An entry older than SENT_LOG_MAX_AGE_MS is
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
/** One customer's log: what its unfinished change sent, by user and kind (a file, or a row beside the pg state). */
export const sentFile = z.object({
  version: z.literal(1),
  key: z.string(),
  users: z.record(z.string(), z.partialRecord(z.enum(EMAIL_KINDS), sentEntry)),
});
export type SentFile = z.infer<typeof sentFile>;

/** When `file` says this e-mail was sent (same user, kind and trigger value). */
export function sentAtIn(file: SentFile | undefined, email: string, kind: EmailKind, value: string): number | undefined {
  const entry = file?.users[email.toLowerCase()]?.[kind];
  return entry?.value === value ? entry.at : undefined;
}

/** `file` (or a new log of customer `key`) with this send recorded. */
export function withSend(file: SentFile | undefined, key: string, email: string, kind: EmailKind, value: string, at: number): SentFile {
  const next: SentFile = file ?? { version: 1, key, users: {} };
  next.users[email.toLowerCase()] = { ...next.users[email.toLowerCase()], [kind]: { value, at } };
  return next;
}

export class FileSentLog implements SentLog {
  private readonly dir: string;

  /** `manifestFile`: the stack's manifest; the log goes to `<its folder>/.dimensions-markers/`. */
  constructor(manifestFile: string) {
    this.dir = path.join(path.dirname(manifestFile), MARKER_DIR);
  }

  sentAt(key: string, email: string, kind: EmailKind, value: string): number | undefined {
    return sentAtIn(this.read(key), email, kind, value);
  }

  record(key: string, email: string, kind: EmailKind, value: string, at: number): void {
    const file = withSend(this.read(key), key, email, kind, value, at);
    fs.mkdirSync(this.dir, { recursive: true });
    const target = this.file(key);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(file));
    fs.renameSync(tmp, target);
  }

  clear(key: string): void {
    fs.rmSync(this.file(key), { force: true });
  }

  private file(key: string): string {
    return path.join(this.dir, `${markerStem(key)}.sent.json`);
  }

  private read(key: string): SentFile | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file(key), "utf8");
    } catch {
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    // A torn or foreign file guards nothing (at worst an e-mail is sent again, never lost).
    const parsed = sentFile.safeParse(json);
    return parsed.success && parsed.data.key === key ? parsed.data : undefined;
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
