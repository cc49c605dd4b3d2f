/**
 * Reads the example CI workflow (examples/gitops/.github/workflows/dimensions.yml) and its scripts
 * as a test must: the `run:` steps of each job, and each shell command in them as words. Enough
 * shell for what the example writes (quotes, `$(…)`, redirections, `&&`/`|`/`;`, an array
 * assignment expanded with "${name[@]}", `${VAR:-default}`); anything else throws, so a script
 * that outgrows it fails the tests instead of escaping them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const GITOPS_DIR = path.resolve(__dirname, "../../examples/gitops");
export const WORKFLOW_FILE = path.join(GITOPS_DIR, ".github/workflows/dimensions.yml");

export interface RunStep {
  readonly job: string;
  readonly run: string;
}

/** The `run:` steps of every job, in order (a block scalar `run: |` joined with newlines). */
export function runSteps(file: string = WORKFLOW_FILE): RunStep[] {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const steps: RunStep[] = [];
  let inJobs = false;
  let job: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^jobs:\s*$/.test(line)) inJobs = true;
    else if (/^\S/.test(line)) inJobs = false;
    if (!inJobs) continue;
    const jobMatch = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (jobMatch) job = jobMatch[1];
    const run = /^(\s*)(?:- )?run: ?(.*)$/.exec(line);
    if (!run || !job) continue;
    if (run[2].trim() !== "|") {
      steps.push({ job, run: run[2].trim() });
      continue;
    }
    const indent = run[1].length;
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === "" || lines[i + 1].search(/\S/) > indent)) body.push(lines[++i]);
    const strip = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.search(/\S/)));
    steps.push({ job, run: body.map((l) => l.slice(strip)).join("\n").trim() });
  }
  return steps;
}

/** The scripts a run step calls (`ci/plan.sh …`), relative to the app's root. */
export function scriptsCalled(steps: readonly RunStep[]): string[] {
  return [...new Set(steps.flatMap((s) => shellCommands(s.run).map((c) => c[0]).filter((w) => /^ci\/[\w.-]+\.sh$/.test(w))))].sort();
}

const OPERATORS = ["&&", "||", "|", ";"];

/**
 * Every simple command of a script, as words (quotes removed, `$(…)` contents as commands of their
 * own, redirections dropped, "${a[@]}" expanded from the script's own array assignments, and
 * GitHub expressions `${{ … }}` kept as one word).
 */
export function shellCommands(script: string): string[][] {
  const arrays = new Map<string, string[]>();
  const commands: string[][] = [];
  for (const raw of script.split("\n")) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("#!")) continue;
    for (const words of splitLine(line, arrays, commands)) {
      if (words.length === 0) continue;
      const assignment = /^([A-Za-z_]\w*)=\($/.exec(words[0]);
      if (assignment) {
        if (words[words.length - 1] !== ")") throw new Error(`unsupported array assignment: ${line}`);
        arrays.set(assignment[1], words.slice(1, -1));
        continue;
      }
      commands.push(words);
    }
  }
  return commands;
}

/** `${VAR:-default}` → default (the script's own default, what a run without VAR gets). */
function expandParameters(text: string): string {
  return text.replace(/\$\{([A-Za-z_]\w*):-([^}]*)\}/g, (_m, _name: string, fallback: string) => fallback);
}

function splitLine(line: string, arrays: Map<string, string[]>, out: string[][]): string[][] {
  const commands: string[][] = [[]];
  let word = "";
  let inWord = false;
  let redirect = false;
  const push = () => {
    if (!inWord) return;
    if (redirect) redirect = false;
    else commands[commands.length - 1].push(word);
    word = "";
    inWord = false;
  };
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (line.startsWith("${{", i)) {
      const end = line.indexOf("}}", i);
      if (end < 0) throw new Error(`unterminated expression: ${line}`);
      word += line.slice(i, end + 2);
      inWord = true;
      i = end + 2;
    } else if (ch === "#" && !inWord) {
      break;
    } else if (ch === " " || ch === "\t") {
      push();
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let text = "";
      while (j < line.length && line[j] !== '"') {
        if (line.startsWith("$(", j)) {
          const end = closing(line, j + 1);
          out.push(...shellCommands(line.slice(j + 2, end)));
          text += "$(…)";
          j = end + 1;
        } else if (line.startsWith("${{", j)) {
          const end = line.indexOf("}}", j);
          text += line.slice(j, end + 2);
          j = end + 2;
        } else {
          text += line[j++];
        }
      }
      if (j >= line.length) throw new Error(`unterminated quote: ${line}`);
      const array = /^\$\{([A-Za-z_]\w*)\[@\]\}$/.exec(text);
      if (array) {
        const values = arrays.get(array[1]);
        if (!values) throw new Error(`unknown array ${array[1]}: ${line}`);
        push();
        commands[commands.length - 1].push(...values);
      } else {
        word += expandParameters(text);
        inWord = true;
      }
      i = j + 1;
    } else if (line.startsWith("$(", i)) {
      const end = closing(line, i + 1);
      out.push(...shellCommands(line.slice(i + 2, end)));
      word += "$(…)";
      inWord = true;
      i = end + 1;
    } else if (ch === ">" || ch === "<") {
      push();
      redirect = true;
      i += line.startsWith(">>", i) ? 2 : 1;
    } else if (ch === "(") {
      // Only an array assignment's parentheses: `name=(…)`.
      if (!(inWord && /^[A-Za-z_]\w*=$/.test(word))) throw new Error(`unsupported subshell: ${line}`);
      word += ch;
      push();
      i++;
    } else if (ch === ")") {
      push();
      word = ")";
      inWord = true;
      push();
      i++;
    } else {
      const op = OPERATORS.find((o) => line.startsWith(o, i));
      if (op) {
        push();
        commands.push([]);
        i += op.length;
      } else {
        if (ch === "\\" || ch === "`") throw new Error(`unsupported shell syntax ${ch}: ${line}`);
        word += ch;
        inWord = true;
        i++;
      }
    }
  }
  push();
  return commands.map((c) => c.map(expandParameters));
}

/** The index of the `)` closing the `(` at `open`. */
function closing(line: string, open: number): number {
  let depth = 0;
  for (let j = open; j < line.length; j++) {
    if (line[j] === "(") depth++;
    else if (line[j] === ")" && --depth === 0) return j;
  }
  throw new Error(`unterminated $(: ${line}`);
}
