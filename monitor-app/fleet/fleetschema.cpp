// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "fleetschema.h"

using namespace Qt::StringLiterals;

namespace QPsqlHaFleet {

QString quoted(const QString &identifier)
{
    return u'"' + QString(identifier).replace(u'"', u"\"\""_s) + u'"';
}

QString channelOf(const QString &schema)
{
    // The schema's name: each schema is a fleet of its own, with a channel of its own.
    return schema;
}

// Everything `init` runs, in one transaction. Each statement may run on a schema of any earlier
// version (or none) and leaves it at SchemaVersion: CREATE ... IF NOT EXISTS, CREATE OR REPLACE,
// ALTER ... ADD COLUMN IF NOT EXISTS. A later version appends its steps here.
QStringList initStatements(const QString &schema)
{
    const QString s = quoted(schema);
    const QString channel = channelOf(schema).replace(u'\'', u"''"_s);
    QStringList sql;
    // The two roles are the cluster's, shared by every schema: NOLOGIN groups that operators
    // grant to the login roles of applications and of people.
    sql << uR"(DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qpsqlha_app') THEN
    CREATE ROLE qpsqlha_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qpsqlha_operator') THEN
    CREATE ROLE qpsqlha_operator NOLOGIN;
  END IF;
END $$)"_s;
    sql << u"CREATE SCHEMA IF NOT EXISTS %1"_s.arg(s);
    sql << u"CREATE TABLE IF NOT EXISTS %1.meta (key text PRIMARY KEY, value text NOT NULL)"_s.arg(
        s);
    // The operators' word on each node: one row per cluster and node (as HOST:PORT).
    sql << uR"(CREATE TABLE IF NOT EXISTS %1.admin_state (
  cluster text NOT NULL,
  node text NOT NULL,
  state text NOT NULL CHECK (state IN ('online', 'offline', 'drained')),
  reason text NOT NULL DEFAULT '',
  changed_by text NOT NULL DEFAULT session_user,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cluster, node)))"_s.arg(s);
    // One row per application instance, overwritten by each heartbeat: no history grows.
    sql << uR"(CREATE TABLE IF NOT EXISTS %1.instances (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid bigint NOT NULL,
  application text NOT NULL DEFAULT '',
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_ms integer NOT NULL DEFAULT 5000,
  status jsonb NOT NULL DEFAULT '{}'))"_s.arg(s);
    // Each heartbeat rewrites its row: room in every page and no index on what changes keep
    // those updates HOT (no index entries, dead versions pruned within the page), so the table
    // stays the size of the fleet between vacuums. The daily cleanup scans it: one row per
    // instance, nothing to index.
    sql << u"ALTER TABLE %1.instances SET (fillfactor = 50)"_s.arg(s);
    sql << u"DROP INDEX IF EXISTS %1.instances_heartbeat_at"_s.arg(s);
    // Who and when come from the server, whatever the client wrote.
    sql << uR"(CREATE OR REPLACE FUNCTION %1.admin_state_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.changed_by := session_user;
  NEW.changed_at := now();
  RETURN NEW;
END $$)"_s.arg(s);
    sql << uR"(CREATE OR REPLACE FUNCTION %1.admin_state_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  PERFORM pg_notify('%2', json_build_object(
    'op', lower(TG_OP), 'cluster', changed.cluster, 'node', changed.node,
    'state', CASE WHEN TG_OP = 'DELETE' THEN 'online' ELSE changed.state END,
    'reason', changed.reason, 'by', session_user,
    'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text);
  RETURN NULL;
END $$)"_s.arg(s, channel);
    sql << u"DROP TRIGGER IF EXISTS admin_state_stamp ON %1.admin_state"_s.arg(s);
    sql << u"CREATE TRIGGER admin_state_stamp BEFORE INSERT OR UPDATE ON %1.admin_state "
           "FOR EACH ROW EXECUTE FUNCTION %1.admin_state_stamp()"_s.arg(s);
    sql << u"DROP TRIGGER IF EXISTS admin_state_notify ON %1.admin_state"_s.arg(s);
    sql << u"CREATE TRIGGER admin_state_notify AFTER INSERT OR UPDATE OR DELETE ON "
           "%1.admin_state FOR EACH ROW EXECUTE FUNCTION %1.admin_state_notify()"_s.arg(s);
    // The application's only write: its own row, through this function (the role has no
    // privilege on the table). Rows silent for a day go now and then, so that the table stays
    // the size of the fleet.
    sql << uR"(CREATE OR REPLACE FUNCTION %1.heartbeat(p_id text, p_host text, p_pid bigint,
    p_heartbeat_ms integer, p_status jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO %1.instances AS i (id, host, pid, application, heartbeat_ms, status)
  VALUES (p_id, p_host, p_pid, coalesce(p_status->>'application', ''), p_heartbeat_ms, p_status)
  ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
    application = EXCLUDED.application, heartbeat_ms = EXCLUDED.heartbeat_ms,
    heartbeat_at = now(), status = EXCLUDED.status;
  IF random() < 0.01 THEN
    DELETE FROM %1.instances WHERE heartbeat_at < now() - interval '1 day';
  END IF;
END $$)"_s.arg(s);
    sql << u"DELETE FROM %1.instances WHERE heartbeat_at < now() - interval '1 day'"_s.arg(s);
    // Grants: nothing to PUBLIC; the application reads and heartbeats; the operator steers.
    sql << u"REVOKE ALL ON ALL TABLES IN SCHEMA %1 FROM PUBLIC"_s.arg(s);
    sql << u"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %1 FROM PUBLIC"_s.arg(s);
    sql << u"GRANT USAGE ON SCHEMA %1 TO qpsqlha_app, qpsqlha_operator"_s.arg(s);
    sql << u"GRANT SELECT ON %1.meta, %1.admin_state TO qpsqlha_app"_s.arg(s);
    sql << u"GRANT EXECUTE ON FUNCTION %1.heartbeat(text, text, bigint, integer, jsonb) TO "
           "qpsqlha_app"_s.arg(s);
    sql << u"GRANT SELECT ON %1.meta, %1.instances TO qpsqlha_operator"_s.arg(s);
    sql << u"GRANT SELECT, INSERT, UPDATE, DELETE ON %1.admin_state TO qpsqlha_operator"_s.arg(s);
    sql << u"INSERT INTO %1.meta (key, value) VALUES ('version', '%2') ON CONFLICT (key) DO "
           "UPDATE SET value = EXCLUDED.value"_s.arg(s)
               .arg(SchemaVersion);
    return sql;
}

} // namespace QPsqlHaFleet
