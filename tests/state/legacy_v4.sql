-- A state file as deskplan's store made it with migrations 1-4 (PRAGMA user_version counted them),
-- written by sqlite3's iterdump: tests/state/test_schema.py migrates it forward.
BEGIN TRANSACTION;
CREATE TABLE "cursors" (
   "source" TEXT,
   "stream" TEXT,
   "cursor" TEXT,
   "updated_at" TEXT,
   PRIMARY KEY ("source", "stream")
);
INSERT INTO "cursors" VALUES('zd','tickets','{"start_time": 100}','2026-03-02T09:00:00+00:00');
CREATE TABLE "evaluated" (
   "source" TEXT,
   "ticket_id" TEXT,
   "basis" TEXT,
   PRIMARY KEY ("source", "ticket_id")
);
INSERT INTO "evaluated" VALUES('zd','1','h:b');
CREATE TABLE "goal_checks" (
   "sources" TEXT PRIMARY KEY,
   "basis" TEXT,
   "checked_at" TEXT
);
INSERT INTO "goal_checks" VALUES('zd','g','2026-03-02T09:00:00+00:00');
CREATE TABLE "quarantine" (
   "source" TEXT,
   "ref" TEXT,
   "stream" TEXT,
   "error" TEXT,
   "payload" TEXT,
   "first_seen" TEXT,
   "last_seen" TEXT,
   "run_id" INTEGER,
   PRIMARY KEY ("source", "ref")
);
INSERT INTO "quarantine" VALUES('zd','ticket 9','tickets','bad date','{...}','2026-03-02T09:00:00+00:00','2026-03-02T09:00:00+00:00',1);
CREATE TABLE "records" (
   "source" TEXT,
   "kind" TEXT,
   "id" TEXT,
   "ticket_id" TEXT,
   "data" TEXT,
   "hash" TEXT,
   PRIMARY KEY ("source", "kind", "id")
);
INSERT INTO "records" VALUES('zd','ticket','1','1','{"id":1,"subject":"Printer"}',NULL);
INSERT INTO "records" VALUES('zd','event','e1','1','{"id":"e1"}','a1b2');
INSERT INTO "records" VALUES('zd','user','u1',NULL,'{"role":"agent"}',NULL);
CREATE TABLE "runs" (
   "id" INTEGER PRIMARY KEY,
   "started_at" TEXT,
   "finished_at" TEXT,
   "mode" TEXT,
   "exit_code" INTEGER,
   "summary" TEXT
);
INSERT INTO "runs" VALUES(1,'2026-03-02T09:00:00+00:00','2026-03-02T09:01:00+00:00','sync',0,'[{"source": "zd"}]');
CREATE TABLE "status_comments" (
   "source" TEXT,
   "ticket_id" TEXT,
   "key" TEXT,
   "fingerprint" TEXT,
   "remote_id" TEXT,
   "updated_at" TEXT,
   PRIMARY KEY ("source", "ticket_id")
);
INSERT INTO "status_comments" VALUES('zd','1','k1','f1','c1','2026-03-02T09:00:00.000000+00:00');
CREATE TABLE "tickets" (
   "source" TEXT,
   "id" TEXT,
   "key" TEXT,
   "status" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT,
   "deleted" INTEGER,
   "hash" TEXT,
   "data" TEXT,
   PRIMARY KEY ("source", "id")
);
INSERT INTO "tickets" VALUES('zd','1','1','solved','2026-03-02T09:00:00+00:00','2026-03-02T09:00:00+00:00',0,'c8f2459c351e74e05c3135e0c88570cd','{"source":"zd","id":"1","key":"1","url":null,"subject":"Printer","description":"","status":"solved","status_raw":"","priority":null,"type":null,"channel":null,"tags":[],"group":null,"organization":null,"requester":null,"assignee":null,"requester_name":null,"assignee_name":null,"created_at":"2026-03-02T09:00:00+00:00","updated_at":"2026-03-02T09:00:00+00:00","solved_at":null,"satisfaction":null,"custom":{},"timeline":[],"deleted":false}');
CREATE TABLE "touched" (
   "source" TEXT,
   "ticket_id" TEXT,
   PRIMARY KEY ("source", "ticket_id")
);
CREATE TABLE "writeback_since" (
   "source" TEXT PRIMARY KEY,
   "since" TEXT
);
INSERT INTO "writeback_since" VALUES('zd','2026-03-02T09:00:00+00:00');
CREATE TABLE "writes" (
   "key" TEXT PRIMARY KEY,
   "source" TEXT,
   "kind" TEXT,
   "ticket_id" TEXT,
   "origin" TEXT,
   "status" TEXT,
   "remote_id" TEXT,
   "attempts" INTEGER,
   "last_error" TEXT,
   "request" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT,
   "run_id" INTEGER
);
INSERT INTO "writes" VALUES('k1','zd','comment','1','status','done','c1',1,NULL,'{"body": "Status\n[deskplan:k1]", "due": null, "fingerprint": "f1", "key": "k1", "kind": "comment", "links": [], "origin": "status", "owner": null, "previous": null, "source": "zd", "ticket_id": "1", "ticket_key": "1", "title": "Status", "trigger": null}','2026-03-02T09:00:00.000000+00:00','2026-03-02T09:00:00.000000+00:00',1);
CREATE INDEX "idx_records_source_ticket_id_kind"
    ON "records" ("source", "ticket_id", "kind");
CREATE UNIQUE INDEX "idx_tickets_source_key"
    ON "tickets" ("source", "key");
CREATE INDEX "idx_tickets_created_at"
    ON "tickets" ("created_at");
CREATE INDEX "idx_writes_source_status"
    ON "writes" ("source", "status");
CREATE INDEX "idx_writes_source_ticket_id_kind_updated_at"
    ON "writes" ("source", "ticket_id", "kind", "updated_at");
PRAGMA user_version = 4;
COMMIT;
