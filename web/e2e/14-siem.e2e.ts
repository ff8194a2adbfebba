/**
 * SIEM streaming in the web UI, against a real syslog receiver over TCP (octet-counted RFC 5424, as
 * rsyslog's imtcp takes it): a Platform Admin adds a destination, the worker streams the ledger to it and
 * the row says "Caught up."; a test event arrives with sequence 0; the admin edits it (a bad value marked
 * on its field, the saved change one ledger event); an Auditor sees the status without
 * the actions; a Publisher has no such page. Every new page state is checked with axe.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, checkClean, h1, keepFailures, launch, ledgerEvents, RUN, settled } from "./support";

/** Every RFC 5424 message received, de-framed (MSG-LEN SP SYSLOG-MSG); closes when the sender half-closes. */
const messages: string[] = [];
let receiver: Server;
let port = 0;

function deframe(buffer: Buffer): void {
  let rest = buffer;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number(rest.subarray(0, space).toString());
    messages.push(rest.subarray(space + 1, space + 1 + length).toString("utf8"));
    rest = rest.subarray(space + 1 + length);
  }
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
  receiver = createServer((socket: Socket) => {
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => {
      deframe(Buffer.concat(chunks));
      socket.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});
keepFailures();

const NAME = `soc-${RUN}`;
const sequences = () => messages.map((m) => Number(/\[fleetgate@32473 seq="(\d+)"/.exec(m)?.[1] ?? -1));
const row = (page: Page) => page.locator(`tr[data-siem="${NAME}"]`);

describe("SIEM streaming", () => {
  it("a Platform Admin adds a syslog destination and the worker streams the ledger to it", async () => {
    await asUser(browser, "admin", async (page) => {
      await page.getByRole("link", { name: "SIEM streaming" }).click();
      await expect.poll(() => h1(page)).toBe("SIEM streaming"); // the route changes after the click returns
      await check(page, "siem-empty");
      const form = page.getByRole("form", { name: "Add a destination" });
      await form.getByLabel("Name", { exact: true }).fill(NAME);
      await form.getByLabel("Kind", { exact: true }).selectOption("syslog-tcp");
      await form.getByLabel("Host", { exact: true }).fill("bad host");
      await form.getByLabel("Port", { exact: true }).fill(String(port));
      await form.getByRole("button", { name: "Add destination" }).click();
      await page.getByText("The destination is not valid; see the marked fields").waitFor();
      expect(await form.locator(".field-invalid").count()).toBe(1);
      await check(page, "siem-invalid");
      await form.getByLabel("Host", { exact: true }).fill("127.0.0.1");
      await form.getByRole("button", { name: "Add destination" }).click();
      await page.getByText(`“${NAME}” added`).waitFor();
      await row(page).getByText("Caught up.").waitFor({ timeout: 90_000 });
      const seen = sequences();
      expect(seen.length).toBeGreaterThan(0);
      expect([...new Set(seen)].sort((a, b) => a - b)).toEqual(Array.from({ length: Math.max(...seen) }, (_, i) => i + 1));
      await check(page, "siem-caught-up");
      await row(page).getByRole("button", { name: `Send test event to ${NAME}` }).click();
      await page.getByText(`“${NAME}” accepted the test event.`).waitFor();
      expect(sequences()).toContain(0);
      await row(page).getByRole("button", { name: `Pause ${NAME}` }).click();
      await page.getByText(`“${NAME}” is paused.`).waitFor();
      await row(page).getByText(/^Paused at sequence \d+; resumes from there\.$/).waitFor();
    });
  });

  it("a Platform Admin edits the destination: a bad value is marked on its field; the saved change is in the ledger", async () => {
    await asUser(browser, "admin", async (page) => {
      await page.getByRole("link", { name: "SIEM streaming" }).click();
      await settled(page);
      await row(page).getByRole("button", { name: `Edit ${NAME}…` }).click();
      const form = page.getByRole("form", { name: `Edit “${NAME}”` });
      await form.waitFor();
      expect(await page.getByRole("form", { name: "Add a destination" }).count()).toBe(0);
      expect(await form.getByLabel("Host", { exact: true }).inputValue()).toBe("127.0.0.1");
      expect(await form.getByLabel(/token|key/i).count()).toBe(0); // syslog over TCP has no secrets to ask for
      await checkClean(page, "14-siem-edit");
      await form.getByLabel("Events per batch", { exact: true }).fill("9000");
      await form.getByRole("button", { name: "Save changes" }).click();
      await page.getByText("The changes are not valid; see the marked fields").waitFor();
      const batch = form.getByLabel("Events per batch", { exact: true });
      expect(await batch.getAttribute("aria-invalid")).toBe("true");
      expect(await form.locator(".field-invalid").count()).toBe(1);
      await checkClean(page, "14-siem-edit-invalid");
      await batch.fill("250");
      await form.getByRole("button", { name: "Save changes" }).click();
      await page.getByText(`“${NAME}” saved; the next batch uses the new settings.`).waitFor();
      expect(await page.getByRole("form", { name: "Add a destination" }).count()).toBe(1);
      await checkClean(page, "14-siem-edited");
      const [event] = await ledgerEvents(page, "siem_destination.updated", "admin");
      expect(event?.after?.name).toBe(NAME);
      expect(event?.after?.batch_size).toBe(250);
    });
  });

  it("an Auditor watches the status without the actions; a Publisher has no such page", async () => {
    await asUser(browser, "auditor", async (page) => {
      await page.goto("/siem");
      await row(page).waitFor();
      expect(await page.getByRole("button", { name: "Add destination" }).count()).toBe(0);
      expect(await row(page).getByRole("button").count()).toBe(0);
      await check(page, "siem-auditor");
    });
    await asUser(browser, "publisher", async (page) => {
      expect(await page.getByRole("link", { name: "SIEM streaming" }).count()).toBe(0);
      await page.goto("/siem");
      await page.getByText("Platform Admin or Auditor").first().waitFor();
    });
  });
});
