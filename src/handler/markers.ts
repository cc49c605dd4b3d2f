/**
 * Markers: what a release leaves for the step after it in the same `terraform` run (contract:
 * `marker`). One small JSON file per object key in a folder beside the manifest; written
 * atomically (temporary file + rename), so a crash leaves either the old marker or the new one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { doneFileName, marker as markerSchema, MARKER_DIR, markerStem, type Marker } from "../contracts/handler";
import { HandlerError } from "./errors";
import type { SentLog } from "./sent-log";

export interface MarkerStore {
  read(key: string): Marker | undefined;
  write(marker: Marker): void;
  remove(key: string): void;
  /** Leaves the "done" file the create provisioner's shell test looks for (contracts doneFileName). */
  markDone(key: string, digest: string): void;
  /** A store that writes asynchronously (pg-markers.ts): waits for its writes; fails when one did not land. */
  close?(): Promise<void>;
  /** A store beside a shared state (pg-markers.ts) keeps the sent log there too; else it is a file beside the markers. */
  sentLog?(): SentLog;
}

function fileName(key: string): string {
  // Keys hold references and names of any text: a digest is a safe, fixed-length file name.
  return `${markerStem(key)}.json`;
}

export class FileMarkerStore implements MarkerStore {
  private readonly dir: string;

  /** `manifestFile`: the stack's manifest; markers go to `<its folder>/.dimensions-markers/`. */
  constructor(manifestFile: string) {
    this.dir = path.join(path.dirname(manifestFile), MARKER_DIR);
  }

  read(key: string): Marker | undefined {
    const file = path.join(this.dir, fileName(key));
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new HandlerError("MarkerUnreadable", `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`, { hint: `check the permissions of ${this.dir}` });
    }
    const parsed = safeJson(text);
    const result = markerSchema.safeParse(parsed);
    // A marker of another version or a torn one is no evidence of anything: ignore it.
    if (!result.success || result.data.key !== key) return undefined;
    return result.data;
  }

  write(marker: Marker): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, fileName(marker.key));
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(marker));
    fs.renameSync(tmp, file);
  }

  remove(key: string): void {
    fs.rmSync(path.join(this.dir, fileName(key)), { force: true });
    this.removeDone(key);
  }

  markDone(key: string, digest: string): void {
    this.removeDone(key);
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, doneFileName(key, digest)), "");
  }

  private removeDone(key: string): void {
    const stem = `${markerStem(key)}.`;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) if (name.startsWith(stem) && name.endsWith(".done")) fs.rmSync(path.join(this.dir, name), { force: true });
  }
}

/** For tests and the CLI: markers kept in memory. */
export class MemoryMarkerStore implements MarkerStore {
  readonly markers = new Map<string, Marker>();
  readonly done = new Map<string, string>();
  markDone(key: string, digest: string): void {
    this.done.set(key, digest);
  }
  read(key: string): Marker | undefined {
    return this.markers.get(key);
  }
  write(marker: Marker): void {
    this.markers.set(marker.key, marker);
  }
  remove(key: string): void {
    this.markers.delete(key);
    this.done.delete(key);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
