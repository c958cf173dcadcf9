import { describe, expect, it } from "vitest";
import { format, table } from "../../src/output";

describe("table", () => {
  it("Given rows of different widths, When rendered, Then columns align to the widest cell and lines have no trailing spaces", () => {
    const out = table(
      ["STACK", "STATE", "LAST"],
      [
        ["app", "running", "2h ago"],
        ["nextcloud-aio", "stopped", ""],
      ],
    );

    expect(out.split("\n")).toEqual([
      "STACK          STATE    LAST",
      "app            running  2h ago",
      "nextcloud-aio  stopped",
    ]);
  });

  it("Given no rows, When rendered, Then only the header is printed", () => {
    expect(table(["A", "B"], [])).toBe("A  B");
  });
});

describe("format", () => {
  it.each([
    [undefined, "-"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 ** 3, "5.0 GiB"],
    [2 ** 50, "1024.0 TiB"],
  ])("Given %s bytes, When formatted, Then it reads %j", (n, text) => {
    expect(format.bytes(n)).toBe(text);
  });

  it.each([
    [undefined, "-"],
    [0, "0 ms"],
    [999, "999 ms"],
    [1500, "1.5 s"],
    [119_000, "119.0 s"],
    [120_000, "2 min"],
    [3_600_000, "60 min"],
  ])("Given %s ms, When formatted, Then it reads %j", (ms, text) => {
    expect(format.ms(ms)).toBe(text);
  });
});
