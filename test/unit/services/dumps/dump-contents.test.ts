import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareContents,
  MariadbCounter,
  TupleScanner,
  PostgresCounter,
  readDump,
} from "../../../../src/services/dumps/contents";
import { dumpSpecs } from "../../../../src/services/dumps/dump";
import { AppError } from "../../../../src/errors";
import { container, fakeStack } from "../../../helpers/fakes";

const feed = <T extends { line(l: string): void }>(c: T, text: string) => {
  for (const l of text.split("\n")) c.line(l);
  return c;
};

// Shapes as pg_dumpall 15 and mariadb-dump 10.11 write them.
const PG = `--
-- PostgreSQL database cluster dump
--
\\connect template1
\\connect postgres
CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8';
\\connect shop
COPY public.items (id, name) FROM stdin;
1\titem 1
2\tline with \\\\. inside and a tab \\t
3\t\\N
\\.
COPY "My Schema"."Odd ""Name""" (id) FROM stdin;
\\.
\\connect -reuse-previous=on "dbname='other db'"
COPY public.t (a) FROM stdin;
x
\\.
-- PostgreSQL database cluster dump complete
`;

const MARIA = `-- MariaDB dump 10.19
CREATE DATABASE /*!32312 IF NOT EXISTS*/ \`shop2\`;
USE \`shop2\`;
CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (\`id\`)
);
INSERT INTO \`t\` VALUES (1,'v1'),(2,'it\\'s (not) a tuple),('),(3,'a\\\\'),(4,NULL);
INSERT INTO \`t\` VALUES (5,'x');
INSERT INTO \`t\` VALUES
(6,'a;b'),
(7,'c\\n(d)');
CREATE TABLE \`empty\` (
  \`id\` int(11) NOT NULL
);
/*!50001 CREATE TABLE \`v\` (
USE \`mysql\`;
CREATE TABLE \`user\` (
INSERT INTO \`user\` VALUES ('root','x');
-- Dump completed on 2026-12-01  8:00:00
`;

describe("what a dump holds, read from the dump", () => {
  it("Given a pg_dumpall, Then rows are counted per COPY block under the database of the last \\connect, names unquoted", () => {
    const c = feed(new PostgresCounter(), PG).contents;
    expect(c.tables).toEqual({ "shop.public.items": 3, 'shop.My Schema.Odd "Name"': 0, "other db.public.t": 1 });
    expect(c.databases).toEqual(["template1", "postgres", "shop", "other db"]);
  });

  it("Given a mariadb-dump, Then INSERT tuples are counted outside quotes, empty tables are 0, system databases and view stand-ins are left out", () => {
    const c = feed(new MariadbCounter(), MARIA).contents;
    expect(c.tables).toEqual({ "shop2.t": 7, "shop2.empty": 0 });
    expect(c.databases).toEqual(["shop2"]);
  });

  it("TupleScanner skips parentheses and semicolons inside strings with backslash and doubled-quote escapes", () => {
    const scan = new TupleScanner();
    expect(scan.feed("VALUES (1,'a)(b;'),(2,'it''s ('),", 0)).toBe(false);
    expect(scan.feed('(3,"q(\\");");', 0)).toBe(true);
    expect(scan.take()).toBe(3);
  });

  it("readDump hashes the whole file and counts in the same pass", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dump-")), "pg.sql");
    writeFileSync(file, PG);
    const r = await readDump(file, "postgres");
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.contents.tables["shop.public.items"]).toBe(3);
  });

  it("compareContents names every table whose rows differ or that is missing, and nothing when all match", () => {
    expect(compareContents({ "a.t": 3, "a.u": 0, "a.w": 2 }, { "a.t": 3, "a.u": 1, "a.x": 9 })).toEqual([
      "a.u: 0 row(s) claimed, 1 found",
      "a.w: 2 row(s) claimed, table missing",
    ]);
    expect(compareContents({ "a.t": 3 }, { "a.t": 3, "b.z": 1 })).toEqual([]);
  });
});

describe("dumpSpecs: labels and [stack:NAME] DUMP", () => {
  const stack = fakeStack("shop", [
    container({ name: "shop-db-1", service: "db", labels: { "backup-tui.dump": "mariadb" } }),
    container({ name: "shop-app-1", service: "app" }),
  ]);

  it("Given a declaration for a labelled service, Then the declaration wins; a declared service without a label is added", () => {
    const specs = dumpSpecs(stack, [
      { service: "db", engine: "postgres", database: "shop" },
      { service: "app", engine: "sqlite", path: "/data/a.db" },
    ]);
    expect(specs.map((s) => [s.service, s.engine, s.database ?? s.path])).toEqual([
      ["db", "postgres", "shop"],
      ["app", "sqlite", "/data/a.db"],
    ]);
  });

  it("Given a declared service the stack has no container for, Then a config error names it and lists the services", () => {
    let err: unknown;
    try {
      dumpSpecs(stack, [{ service: "cache", engine: "postgres" }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain("DUMP names service cache");
    expect((err as AppError).message).toContain("services: db, app");
  });
});
