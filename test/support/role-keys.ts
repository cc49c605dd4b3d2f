/**
 * Short names for the role keys the prediction tests use, spelled as the API spells them (tests
 * compare keys as text, so they do not go through the catalogue's Role constants).
 */
export const CU = "customer.user";
export const ADMIN = [CU, "user.admin"];
/** U10: assigned and synchronised by the server for users on the PBX (outside the UK). */
export const PBX = "customer.user.pbx";
/** U10: the UK's synchronised role. */
export const UK_PBX = "customer.user.uc.essential";
/** U11: the Real-Time Add-On, given by the server to PBX users once the customer has a supervisor level 3 or higher. */
export const RT = "customer.user.pbx.realtime";
/** U12: given by the server to call-centre agents on the PBX when syncAcdAgentWithPbx is on. */
export const ACD = "customer.user.acd";
export const L1 = "customer.user.supervisorl1";
export const L2 = "customer.user.supervisorl2";
export const L3 = "customer.user.supervisorl3";
export const L4 = "customer.user.supervisorl4";
