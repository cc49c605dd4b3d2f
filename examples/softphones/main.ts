/**
 * Softphones (U14): the PBX devices each user holds, with the client type it uses them with. The
 * app assigns and unassigns them so that the tenant matches the code; a softphone needs the UC
 * client and its softphone (`RoleBundle.UC_SOFTPHONE`) among the user's roles (U7).
 *
 * Synthesize with `npx tsx examples/softphones/main.ts`.
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import { ClientType, Customer, CustomerUser, DimensionsStack, Role, RoleBundle } from "../../src"; // "cdktf-dimensions" in your app

export class SoftphonesStack extends DimensionsStack {
  public readonly users: CustomerUser[];

  constructor(scope: Construct, id: string) {
    // C6: the UC client and its softphone are licensed roles.
    super(scope, id, { acceptCharges: true, region: "eu" });

    const acme = Customer.fromReference(this, "acme", "ACME-001");

    // A user the app creates, with the desktop client and the mobile app on two devices.
    const bruno = new CustomerUser(this, "bruno", {
      customer: acme,
      email: "bruno.petit@acme.example",
      displayName: "Bruno Petit",
      roles: [RoleBundle.UC_SOFTPHONE, Role.ANALYTICS_SUPERVISOR],
      softphones: [
        { device: "1001", clientType: ClientType.DESKTOP },
        { device: "1002", clientType: "mobile" }, // the raw strings work too
      ],
    });

    // A user imported from the PBX: adopted, with the browser client on its Kazoo device.
    const reception = CustomerUser.adopt(this, "reception", {
      customer: acme,
      email: "reception@acme.example",
      roles: [RoleBundle.UC_SOFTPHONE],
      softphones: [{ device: "b5f1c2d3e4a5968778695a4b3c2d1e0f", clientType: ClientType.WEBRTC }],
    });

    this.users = [bruno, reception];
  }
}

const app = new App();
new SoftphonesStack(app, "softphones");

if (require.main === module) app.synth();

export { app };
