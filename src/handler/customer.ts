/**
 * Customer operations. The reference is the natural key (C2): a customer is always found by it,
 * never by an id kept in state, so a re-run after a crash adopts what the first run created.
 */
import type { DimensionsApi } from "../client/types";
import type { CreateCustomerRequest, Customer, JsonPatchOperation } from "../contracts/api";
import { customerKey, type CustomerDesired, type CustomerPayload } from "../contracts/handler";
import { customerSubject, meter, sameObject, type HandlerDeps } from "./context";
import { HandlerError, toHandlerError } from "./errors";

/** The fields apply converges on an existing customer (all among the API's patchable paths, §3). */
const PATCHABLE = [
  "name",
  "description",
  "enabled",
  "timezone",
  "countryCode",
  "syncAcdAgentWithPbx",
  "sendNewUserEmail",
  "sendConnectWelcomeEmail",
] as const;

/** The one customer with this reference, or undefined; two or more is an error (C2). */
export async function findCustomer(api: DimensionsApi, reference: string): Promise<Customer | undefined> {
  const found = await api.findCustomersByReference(reference);
  if (found.length > 1) {
    throw new HandlerError("DuplicateReference", `${found.length} customers have the reference "${reference}" (ids ${found.map((c) => c.id).join(", ")})`, {
      rule: "C2",
      subject: customerSubject(reference),
      hint: "a reference must identify one customer: change the reference of the extra customers in the portal, then apply again",
    });
  }
  return found[0];
}

/** The JSON Patch that makes `current` match `desired` on the patchable fields; empty when nothing differs. */
export function customerPatch(current: Customer, desired: CustomerDesired): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  for (const field of PATCHABLE) {
    const want = desired[field];
    if (want === undefined) continue; // not declared: the customer keeps its current value
    const have = current[field] ?? undefined;
    if (have !== want) ops.push({ op: "replace", path: `/${field}`, value: want });
  }
  return ops;
}

/** Apply: adopt the customer with this reference and converge it, or create it (C2, C4, C6). */
export async function applyCustomer(payload: CustomerPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const subject = customerSubject(t.reference);
  const requests = meter(deps.api);
  const options = { acceptCharges: i.settings.acceptCharges };
  try {
    const current = await findCustomer(deps.api, t.reference);
    if (current) {
      checkPbx(current, t, deps, subject);
      const patch = customerPatch(current, t);
      if (patch.length === 0) {
        deps.report.action(subject, `adopted customer ${current.id}: already as declared`, requests());
        return;
      }
      await deps.api.patchCustomer(current.id, patch, options);
      deps.report.action(subject, `adopted customer ${current.id}: set ${patch.map((p) => p.path.slice(1)).join(", ")}`, requests());
      return;
    }
    const created = await deps.api.createCustomer(createBody(t, deps), options);
    const pbx = t.pbx ? ` with PBX account ${t.pbx.accountId}` : "";
    deps.report.action(subject, `created customer ${created.id} "${t.name}"${pbx}`, requests());
  } catch (e) {
    throw toHandlerError(e, subject, `creating or updating customer ${t.reference}`);
  }
}

/** The API cannot move a customer to another PBX: say so rather than pretend it converged. */
function checkPbx(current: Customer, t: CustomerDesired, deps: HandlerDeps, subject: string): void {
  if (!t.pbx) return;
  const accountId = current.pbxConnectionProfile?.accountId;
  if (typeof accountId !== "string" || accountId === "") {
    deps.report.warn(subject, `the existing customer has no PBX connection; the API cannot add one to an existing customer (connect PBX account ${t.pbx.accountId} in the portal)`);
    return;
  }
  if (accountId !== t.pbx.accountId) {
    throw new HandlerError("PbxAccountMismatch", `the existing customer is connected to PBX account "${accountId}" but the code declares "${t.pbx.accountId}"; the API cannot change a customer's PBX`, {
      rule: "C3",
      subject,
      hint: `declare pbx.accountId "${accountId}" for this customer, or use another reference for a new customer`,
    });
  }
}

function createBody(t: CustomerDesired, deps: HandlerDeps): CreateCustomerRequest {
  const body: CreateCustomerRequest = { name: t.name, description: t.description, reference: t.reference, enabled: t.enabled };
  for (const field of ["timezone", "countryCode", "syncAcdAgentWithPbx", "sendNewUserEmail", "sendConnectWelcomeEmail"] as const) {
    if (t[field] !== undefined) Object.assign(body, { [field]: t[field] });
  }
  if (t.pbx) {
    const { apiKeyEnv } = t.pbx;
    const apiKey = deps.env[apiKeyEnv];
    if (!apiKey) {
      throw new HandlerError("PbxApiKeyMissing", `environment variable ${apiKeyEnv} is not set or empty; it must hold the Kazoo API key to create the customer`, {
        rule: "C4",
        hint: `export ${apiKeyEnv} in the environment that runs terraform (the key never enters the configuration or the state)`,
      });
    }
    deps.report.secret(apiKey);
    body.pbxConnectionProfile = {
      _type: "KazooPbxConnectionProfile",
      hostRest: t.pbx.hostRest,
      hostWebsocket: t.pbx.hostWebsocket,
      accountId: t.pbx.accountId,
      apiKey,
      ...(t.pbx.monitorSubAccounts !== undefined ? { monitorSubAccounts: t.pbx.monitorSubAccounts } : {}),
    };
  }
  return body;
}

/**
 * Release, with the old payload from state. The manifest's entry for the same key tells a
 * replacement (different: the successor's apply converges, nothing to do) from a real release
 * (identical or absent: apply the removal policy).
 */
export async function releaseCustomer(payload: CustomerPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const subject = customerSubject(t.reference);
  const entry = deps.manifest.objects[customerKey(t.reference)];
  if (entry !== undefined && !sameObject(entry, payload, deps.variant)) {
    deps.report.action(subject, "replaced: nothing released, the new configuration converges it");
    return;
  }
  const requests = meter(deps.api);
  try {
    if (i.removalPolicy === "retain") {
      deps.report.action(subject, "retained (removal policy retain)");
      return;
    }
    const current = await findCustomer(deps.api, t.reference);
    if (!current) {
      deps.report.action(subject, "already gone", requests());
      return;
    }
    if (i.removalPolicy === "disable") {
      if (current.enabled === false) {
        deps.report.action(subject, `customer ${current.id} already disabled`, requests());
        return;
      }
      await deps.api.patchCustomer(current.id, [{ op: "replace", path: "/enabled", value: false }], { acceptCharges: i.settings.acceptCharges });
      deps.report.action(subject, `disabled customer ${current.id} (removal policy disable)`, requests());
      return;
    }
    const deleted = await deps.api.deleteCustomer(current.id);
    deps.report.action(subject, deleted ? `deleted customer ${current.id} (removal policy delete)` : "already gone", requests());
  } catch (e) {
    throw toHandlerError(e, subject, `releasing customer ${t.reference}`);
  }
}
