/**
 * The CLI's one table helper: aligned columns, no trailing spaces.
 */
import { table } from "../../src/cli/table";

test("GIVEN rows WHEN printed THEN each column is as wide as its widest cell, two spaces apart, the last one unpadded", () => {
  expect(table([["NAME", "ROLE"], ["ana", "admin"], ["bruno.petit", "-"]])).toEqual(["NAME         ROLE", "ana          admin", "bruno.petit  -"]);
});

test("GIVEN a right-aligned column with a minimum width WHEN printed THEN numbers line up on the right", () => {
  expect(table([["a", "2", "x"], ["bb", "10", "y"]], { indent: "    ", columns: [{}, { align: "right", minWidth: 4 }] })).toEqual(["    a      2  x", "    bb    10  y"]);
});

test("GIVEN a column with its own gap WHEN printed THEN that gap separates it from the previous column", () => {
  expect(table([["role", "1", "2", "no change"]], { columns: [{}, { align: "right", minWidth: 4 }, { gap: " → ", minWidth: 4 }] })).toEqual(["role     1 → 2     no change"]);
});

test("GIVEN an empty last cell WHEN printed THEN the line has no trailing spaces", () => {
  expect(table([["ana@acme.example", ""]], { indent: "  " })).toEqual(["  ana@acme.example"]);
});
