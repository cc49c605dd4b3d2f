/**
 * House style: every domain rule has a compliant and a non-compliant test, named with its rule id.
 * The ids come from the repository's own list (src/validation/domain-rules.ts, which the codes
 * registry cites); the tests are found by parsing every test file with the TypeScript compiler:
 * `test`/`it` calls (`.each` included, `.skip`/`.todo`/`x…` left out), named with the titles of the
 * `describe` blocks around them, as jest names them.
 *
 * Whether a test is the compliant or the non-compliant case is read from its own title, in the
 * words the suite already uses: a non-compliant input "fails", is "refused", "denied", answered
 * 400/402/403/409, reported as an error or a warning or by its error code (`RolePrerequisiteMissing`),
 * or "ignored"; a compliant one "passes", is "accepted", answered 200/201/204, gives "no finding",
 * "succeeds", "converges". Where neither fits (a server side effect, say), the title says
 * "compliant" or "non-compliant" outright.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { renderRulesPage } from "../../scripts/generate-docs";
import { APPLY_CODES } from "../../src/contracts/apply-codes";
import { DOMAIN_RULE_IDS } from "../../src/validation/domain-rules";
import { RULE_CODES } from "../../src/validation/rules";

const ROOT = path.resolve(__dirname, "../..");


export type Side = "compliant" | "non-compliant";

// Negated outcomes first: "no error", "without a warning" are compliant words, not failures.
const COMPLIANT_PHRASES = [/\bno (?:finding|error|warning)s?\b/gi, /\bwithout (?:an? )?(?:error|warning|finding)s?\b/gi, /\bnot an error\b/gi];
const COMPLIANT = [
  /(?<!non-)\bcompliant\b/i,
  // Not time passing: "WHEN the clock passes it", "the timeout passes".
  /(?<!(?:clock|timeout|time|expiry|date) )\bpass(?:es|ed)?\b/i,
  /\baccept(?:s|ed)\b/i,
  /\b(?:200|201|204)\b/,
  /\bsucceeds?\b/i,
  /\bworks\b/i,
  /\bconverges?\b/i,
  /\bis allowed\b/i,
  /\bsatisf(?:y|ies)\b/i,
  ...COMPLIANT_PHRASES.map((p) => new RegExp(p.source, "i")),
];
const NON_COMPLIANT = [
  /\bnon-compliant\b/i,
  /\bfail(?:s|ed|ing)?\b/i,
  /\brefus(?:e|es|ed)\b/i,
  /\bdenied\b/i,
  /\bforbidden\b/i,
  /\bignored\b/i,
  /\b(?:400|402|403|409)\b/,
  /\berrors?\b/i,
  /\bwarn(?:s|ing|ings)?\b/i,
  // An error code of the registry or the API: RolePrerequisiteMissing, LastUserAdministrator, …
  /\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Missing|Conflict|Forbidden|Invalid|Required|Denied|NotFound|Mismatch|Taken|ReadOnly|Guard|Exists|NotPrimary|NotAccepted|Administrator|Incomplete|NotGranted|Cycle|Expired|NotAllowed)\b/,
];

/** Which sides a test's own title names (both, one or none). */
export function sidesOf(title: string): Side[] {
  const sides: Side[] = [];
  if (COMPLIANT.some((p) => p.test(title))) sides.push("compliant");
  const rest = COMPLIANT_PHRASES.reduce((t, p) => t.replace(p, ""), title);
  if (NON_COMPLIANT.some((p) => p.test(rest))) sides.push("non-compliant");
  return sides;
}

export interface FoundTest {
  readonly file: string;
  readonly line: number;
  /** The test's own title. */
  readonly title: string;
  /** Describe titles and the test's, as jest reports it. */
  readonly name: string;
  /** The describe titles around it, outermost first. */
  readonly scope: readonly string[];
}

function titleOf(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.getText().slice(1, -1);
  return undefined;
}

type CallKind = "test" | "describe" | "skipped" | undefined;

/** What a call's callee is: `test(…)`, `it.each(…)(…)`, `describe(…)`, `(cond ? test : test.skip)(…)`, `test.skip(…)`. */
function kindOf(callee: ts.Expression): CallKind {
  if (ts.isParenthesizedExpression(callee)) return kindOf(callee.expression);
  if (ts.isConditionalExpression(callee)) {
    const kinds = [kindOf(callee.whenTrue), kindOf(callee.whenFalse)];
    return kinds.includes("test") ? "test" : kinds.includes("describe") ? "describe" : undefined;
  }
  if (ts.isCallExpression(callee)) return ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === "each" ? kindOf(callee.expression.expression) : undefined;
  if (ts.isPropertyAccessExpression(callee)) {
    const base = kindOf(callee.expression);
    if (["skip", "todo"].includes(callee.name.text)) return base === undefined ? undefined : "skipped";
    return ["only", "concurrent", "failing"].includes(callee.name.text) ? base : undefined;
  }
  if (!ts.isIdentifier(callee)) return undefined;
  if (callee.text === "test" || callee.text === "it") return "test";
  if (callee.text === "xit" || callee.text === "xtest" || callee.text === "xdescribe") return "skipped";
  return /^describe/.test(callee.text) ? "describe" : undefined;
}

/** Every test of a file, with the describe titles around it. */
export function testsIn(file: string, source = fs.readFileSync(file, "utf8")): FoundTest[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: FoundTest[] = [];
  const visit = (node: ts.Node, scope: readonly string[]) => {
    if (ts.isCallExpression(node)) {
      const kind = kindOf(node.expression);
      const title = titleOf(node.arguments[0]);
      if (kind === "skipped") return;
      if (kind === "test" && title !== undefined) {
        found.push({ file: path.relative(ROOT, file), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, title, name: [...scope, title].join(" "), scope });
        return;
      }
      if (kind === "describe" && title !== undefined) {
        for (const arg of node.arguments.slice(1)) visit(arg, [...scope, title]);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, scope));
  };
  visit(sf, []);
  return found;
}

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(full) : e.name.endsWith(".test.ts") ? [full] : [];
  });
}

const ALL_TESTS = testFiles(path.join(ROOT, "test")).flatMap((f) => testsIn(f));

const citesRule = (name: string, id: string) => new RegExp(`(?<![A-Za-z0-9])${id}(?![0-9])`).test(name);

/** The rule ids a describe title starts with ("U8/H3: exclusive groups", "C3 and U12: PBX import"), not those it mentions later. */
export function leadingRules(title: string): string[] {
  const head = /^[CUAH]\d+(?:\s*(?:\/|,|and)\s*[CUAH]\d+)*/.exec(title)?.[0] ?? "";
  return head.match(/[CUAH]\d+/g) ?? [];
}

/** Whether a test is named with `id`: in its own title, or at the head of a describe around it. */
function namedWith(t: FoundTest, id: string): boolean {
  return citesRule(t.title, id) || t.scope.some((d) => leadingRules(d).includes(id));
}

/** The tests naming `id`, split by the side their own title names. */
function coverage(id: string): { compliant: FoundTest[]; nonCompliant: FoundTest[]; unclassified: FoundTest[] } {
  const named = ALL_TESTS.filter((t) => namedWith(t, id));
  return {
    compliant: named.filter((t) => sidesOf(t.title).includes("compliant")),
    nonCompliant: named.filter((t) => sidesOf(t.title).includes("non-compliant")),
    unclassified: named.filter((t) => sidesOf(t.title).length === 0),
  };
}

/** Covered: a compliant test and a non-compliant test, two different tests. */
function covered(id: string): boolean {
  const { compliant, nonCompliant } = coverage(id);
  return compliant.some((c) => nonCompliant.some((n) => n !== c));
}

describe("the rule list", () => {
  test("every rule id the codes registries cite is in the domain rule list, so none goes untested", () => {
    const cited = [...Object.values(RULE_CODES), ...Object.values(APPLY_CODES)].flatMap((d) => d.rule.split("/")).filter((r) => /^[CUAH]\d+$/.test(r));
    expect([...new Set(cited)].filter((id) => !DOMAIN_RULE_IDS.includes(id))).toEqual([]);
  });

  test("the rules page lists every domain rule", () => {
    const page = renderRulesPage();
    for (const id of DOMAIN_RULE_IDS) expect(page).toMatch(new RegExp(`^\\| ${id} \\| `, "m"));
  });
});

describe("the scanner and the classifier (so the coverage below can fail)", () => {
  test("a title's outcome words decide its side; negated outcomes are compliant", () => {
    expect(sidesOf("U7: a role with its prerequisites passes")).toEqual(["compliant"]);
    expect(sidesOf("U7: GIVEN a role without its prerequisite WHEN a user is created with it THEN 400 RolePrerequisiteMissing")).toEqual(["non-compliant"]);
    expect(sidesOf("U6: an admin with a supervisor role has no warning")).toEqual(["compliant"]);
    expect(sidesOf("U4: GIVEN a single admin WHEN it is deleted THEN LastUserAdministrator")).toEqual(["non-compliant"]);
    expect(sidesOf("U11 (non-compliant): GIVEN a stale role list THEN …")).toEqual(["non-compliant"]);
    expect(sidesOf("U11: GIVEN PBX users WHEN a level 3 is granted THEN they get the add-on")).toEqual([]);
    expect(sidesOf("A5: GIVEN a grant WHEN the clock passes its expiry THEN impersonation is denied")).toEqual(["non-compliant"]);
  });

  test("tests are found with their describe titles; skipped ones are left out", () => {
    const source = [
      'describe("U7: prerequisites", () => {',
      '  test("a role with its prerequisites passes", () => {});',
      '  it.each([1])("case %s fails", () => {});',
      '  test.skip("U8: skipped fails", () => {});',
      "});",
      '(ok ? test : test.skip)(`H4: ${"x"} passes`, () => {});',
      'xit("U1: passes", () => {});',
    ].join("\n");
    expect(testsIn(path.join(ROOT, "test/example.test.ts"), source).map((t) => t.name)).toEqual(["U7: prerequisites a role with its prerequisites passes", "U7: prerequisites case %s fails", 'H4: ${"x"} passes']);
    expect(citesRule("U1: users", "U1")).toBe(true);
    expect(citesRule("U10: regions", "U1")).toBe(false);
    expect(citesRule("C6/U9: the opt-in", "U9")).toBe(true);
    expect(leadingRules("U8/H3: exclusive groups")).toEqual(["U8", "H3"]);
    expect(leadingRules("C3 and U12: PBX import")).toEqual(["C3", "U12"]);
    expect(leadingRules("waiting for the customers (A4, A5, A7)")).toEqual([]);
  });

  test("the suite has tests to scan", () => {
    expect(ALL_TESTS.length).toBeGreaterThan(500);
  });
});

describe("every domain rule has a compliant and a non-compliant test named with its id", () => {
  test.each(DOMAIN_RULE_IDS)("%s", (id) => {
    if (!covered(id)) {
      const { compliant, nonCompliant, unclassified } = coverage(id);
      const list = (tests: FoundTest[]) => tests.map((t) => `\n    ${t.file}:${t.line} ${t.name}`).join("") || " none";
      throw new Error(
        `${id} needs a compliant and a non-compliant test named with "${id}" (src/validation/domain-rules.ts).\n` +
          `  compliant:${list(compliant)}\n  non-compliant:${list(nonCompliant)}\n  neither (say which in the title):${list(unclassified)}`,
      );
    }
  });
});
