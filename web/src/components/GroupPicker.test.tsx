import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { groups, type GroupSource } from "../api/groups";
import { ApiProblem } from "../api/problem";
import { renderPart } from "../test/app";
import { GroupPicker } from "./GroupPicker";

const SCCM: GroupSource = {
  id: "22222222-2222-2222-2222-222222222222",
  name: "sccm-acme",
  kind: "sccm",
  plane: "Configuration Manager (AdminService)",
  group_word: "device collections",
  platforms: ["windows"],
};
const LISTED = {
  connector: SCCM,
  query: "",
  limit: 50,
  truncated: false,
  groups: [
    { id: "PS100020", name: "FG-LAB", value: "FG-LAB", member_count: 8 },
    { id: "PS100021", name: "FG-CANARY", value: "FG-CANARY", member_count: 1 },
  ],
};

function Harness({ onValue, initial = "" }: { onValue: (v: string) => void; initial?: string }) {
  const [value, setValue] = useState(initial);
  return (
    <GroupPicker
      path="ring_plan[0].target_group"
      label="Target group"
      source={SCCM}
      value={value}
      onChange={(v) => {
        setValue(v);
        onValue(v);
      }}
    />
  );
}

afterEach(() => vi.restoreAllMocks());

describe("the target group picker", () => {
  it("lists the plane's groups with their sizes and stores the chosen group's value", async () => {
    const list = vi.spyOn(groups, "list").mockResolvedValue(LISTED as never);
    const onValue = vi.fn();
    renderPart(<Harness onValue={onValue} />);
    const box = screen.getByRole("combobox", { name: "Target group" });
    expect(screen.getByText("One of the device collections of sccm-acme.")).toBeTruthy();
    await userEvent.click(box);
    const option = await screen.findByRole("option", { name: /FG-CANARY/ });
    expect(option.textContent).toContain("1 device");
    expect(screen.getByRole("option", { name: /FG-LAB/ }).textContent).toContain("8 devices");
    await userEvent.click(option);
    expect(onValue).toHaveBeenLastCalledWith("FG-CANARY");
    expect((box as HTMLInputElement).value).toBe("FG-CANARY");
    expect(box.getAttribute("aria-expanded")).toBe("false");
    expect(list).toHaveBeenCalledWith(SCCM.id, "");
  });

  it("searches as one types and chooses with the arrow keys and Enter", async () => {
    const list = vi.spyOn(groups, "list").mockImplementation(async (_id, q) => ({
      ...LISTED,
      query: q,
      groups: LISTED.groups.filter((g) => g.name.toLowerCase().includes(q.toLowerCase())),
    }) as never);
    const onValue = vi.fn();
    renderPart(<Harness onValue={onValue} />);
    const box = screen.getByRole("combobox", { name: "Target group" });
    await userEvent.type(box, "can");
    await waitFor(() => expect(list).toHaveBeenCalledWith(SCCM.id, "can"));
    await waitFor(() => expect(screen.getAllByRole("option")).toHaveLength(1));
    expect(onValue).toHaveBeenLastCalledWith(""); // typed text is no choice while the plane lists its groups
    await userEvent.keyboard("{ArrowDown}");
    expect(box.getAttribute("aria-activedescendant")).toBe("f-ring_plan-0-target_group-groups-0");
    await userEvent.keyboard("{Enter}");
    expect(onValue).toHaveBeenLastCalledWith("FG-CANARY");
  });

  it("says when nothing matches", async () => {
    vi.spyOn(groups, "list").mockResolvedValue({ ...LISTED, groups: [] } as never);
    renderPart(<Harness onValue={vi.fn()} />);
    await userEvent.type(screen.getByRole("combobox", { name: "Target group" }), "zz");
    expect(await screen.findByText(/No device collections match/)).toBeTruthy();
  });

  it("falls back to free text, saying so, when the plane cannot be reached", async () => {
    vi.spyOn(groups, "list").mockRejectedValue(
      new ApiProblem({ type: "about:blank", correlation_id: "c", status: 503, code: "plane-unavailable", title: "The execution plane is unavailable; retry later", detail: "down" }),
    );
    const onValue = vi.fn();
    renderPart(<Harness onValue={onValue} initial="FG-OLD" />);
    expect(await screen.findByText(/cannot be listed right now/)).toBeTruthy();
    expect(screen.queryByRole("combobox")).toBeNull();
    const input = screen.getByLabelText("Target group");
    await userEvent.clear(input);
    await userEvent.type(input, "FG-TYPED");
    expect(onValue).toHaveBeenLastCalledWith("FG-TYPED");
    expect(input.getAttribute("aria-describedby")).toBe("f-ring_plan-0-target_group-hint");
  });
});
