/** examples/softphones synthesizes (U14, U7): each user's line carries its devices, sorted. */
import { SoftphonesStack } from "../../examples/softphones/main";
import { newApp, synthJson, userEntryIn, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

test("U14: GIVEN examples/softphones WHEN synthesized THEN Bruno and the adopted reception hold their softphones", () => {
  const app = newApp();
  const stack = new SoftphonesStack(app, "softphones");

  const json = synthJson(app, stack);

  expect(userEntryIn(json, "bruno.petit@acme.example").entry).toMatchObject({ softphones: [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }] });
  expect(userEntryIn(json, "reception@acme.example").entry).toMatchObject({ origin: "adopted", softphones: [{ device: "b5f1c2d3e4a5968778695a4b3c2d1e0f", clientType: "webrtc" }] });
  expect(stack.users.map((u) => u.softphones?.length)).toEqual([2, 1]);
});
