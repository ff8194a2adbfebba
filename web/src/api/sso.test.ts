import { describe, expect, it } from "vitest";
import { type SignInOptions, ssoLoginHref } from "./sso";

const options: SignInOptions = {
  sso_enabled: true,
  display_name: "Contoso (Entra ID)",
  login_url: "/api/v1/auth/sso/login/",
  local_login: true,
  problem: null,
};

describe("the single sign-on button", () => {
  it("sends the browser to the server's sign-in start, carrying where to come back to", () => {
    expect(ssoLoginHref(options, "/ledger?action=intent.")).toBe("/api/v1/auth/sso/login/?next=%2Fledger%3Faction%3Dintent.");
  });

  it("adds no next for the dashboard", () => {
    expect(ssoLoginHref(options, "/")).toBe("/api/v1/auth/sso/login/");
  });
});
