/**
 * "Did you mean": edit distance (with adjacent transpositions) and the nearest known spellings of
 * role keys (src/validation/suggest.ts).
 */
import { didYouMean, didYouMeanRole, editDistance, nearest, suggestRoles } from "../../src/validation/suggest";
import { unknownRoleFix } from "../../src/validation/props";

test("edit distance counts inserted, deleted, replaced and swapped characters", () => {
  expect(editDistance("test", "test")).toBe(0);
  expect(editDistance("tset", "test")).toBe(1);
  expect(editDistance("tst", "test")).toBe(1);
  expect(editDistance("tesst", "test")).toBe(1);
  expect(editDistance("best", "test")).toBe(1);
  expect(editDistance("", "abc")).toBe(3);
  expect(editDistance("kitten", "sitting")).toBe(3);
});

test("nearest: within 2 edits (1 for words of 4 characters or fewer), best first, case-insensitive", () => {
  expect(nearest("Emial", ["email", "displayName"])).toEqual(["email"]);
  expect(nearest("custmer.usr", ["customer.user"])).toEqual(["customer.user"]);
  expect(nearest("cstmer.usr", ["customer.user"])).toEqual([]);
  expect(nearest("mial", ["mail", "email"])).toEqual(["mail"]);
  expect(nearest("xyz", ["abc"])).toEqual([]);
});

test("didYouMean lists one or several suggestions", () => {
  expect(didYouMean([])).toBe("");
  expect(didYouMean(["a"])).toBe('did you mean "a"?');
  expect(didYouMean(["a", "b", "c"])).toBe('did you mean "a", "b" or "c"?');
});

test("a mistyped role key suggests the key, whether it was written as a key, a Role constant or a catalogue name", () => {
  expect(suggestRoles("customer.user.supervisor1")).toEqual(["customer.user.supervisorl1"]);
  expect(suggestRoles("REPORTS_SUPERVISR")).toEqual(["customer.user.supervisorl1"]);
  expect(suggestRoles("Silent Monitr")).toEqual(["pbx.silentmonitor"]);
  expect(suggestRoles("nothing.like.a.role")).toEqual([]);
  expect(didYouMeanRole("user.admn")).toBe('did you mean "user.admin" (Role.MANAGE_USERS)?');
});

test("UnknownRole's fix: the documented alias first, then the nearest keys, then where keys are listed", () => {
  expect(unknownRoleFix("admin.user")).toBe('did you mean "user.admin"? use "user.admin" instead');
  expect(unknownRoleFix("customer.usr")).toBe('did you mean "customer.user" (Role.WEBSITE_ACCESS)? use it instead');
  expect(unknownRoleFix("zzz")).toBe("use a key of the role catalogue (see ROLE_CATALOGUE or Role.X)");
});
