// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONTROLPROTOCOL_P_H
#define QPSQLHACONTROLPROTOCOL_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhacontrolclient.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>

// The control protocol (docs/control-protocol.md): JSON objects, one per line. Everything here
// is pure, shared by the server in applications and the client in the tools.
namespace QPsqlHa::ControlProtocol {

constexpr int Version = 1;
constexpr qsizetype MaximumLineLength = 65536;
constexpr int MaximumRequestsPerSecond = 50;

namespace Error {
inline constexpr char BadJson[] = "bad-json";
inline constexpr char TooLarge[] = "too-large";
inline constexpr char BadVersion[] = "bad-version";
inline constexpr char UnknownCommand[] = "unknown-command";
inline constexpr char BadRequest[] = "bad-request";
inline constexpr char NoSuchCluster[] = "no-such-cluster";
inline constexpr char NoSuchNode[] = "no-such-node";
inline constexpr char RateLimited[] = "rate-limited";
inline constexpr char Refused[] = "refused"; // add-reader/remove-node: see the message
} // namespace Error

enum class Command { List, SetState, Subscribe, AddReader, RemoveNode };

struct Request
{
    QJsonValue id;
    Command command = Command::List;
    QString cluster; // set-state, add-reader, remove-node
    QString node; // set-state, add-reader, remove-node: host:port
    bool online = true;
};

// A JSON number as an integer: `fallback` for anything else, and clamped to what a double holds
// exactly (+-2^53), so that no peer's 1e300 or -5 turns into undefined behaviour on the cast.
QPSQLHA_CONTROL_EXPORT qint64 integerFromJson(const QJsonValue &value, qint64 fallback = 0);
// A counter: as above, and never negative.
QPSQLHA_CONTROL_EXPORT quint64 counterFromJson(const QJsonValue &value);

QPSQLHA_CONTROL_EXPORT QJsonObject nodeToJson(const NodeStatus &node);
QPSQLHA_CONTROL_EXPORT bool nodeFromJson(const QJsonObject &object, NodeStatus *node);
QPSQLHA_CONTROL_EXPORT QJsonObject processToJson(const ProcessStatus &process);
QPSQLHA_CONTROL_EXPORT bool processFromJson(const QJsonObject &object, ProcessStatus *process);
QPSQLHA_CONTROL_EXPORT bool stateFromText(const QString &text, NodeState *state);

// One message as sent: compact JSON and a newline.
QPSQLHA_CONTROL_EXPORT QByteArray encode(const QJsonObject &message);

// Parses one request line. On failure returns false with the error code and message to reply
// with; *id is set whenever the line was an object carrying one.
QPSQLHA_CONTROL_EXPORT bool parseRequest(const QByteArray &line, Request *request,
                                         QString *errorCode, QString *errorMessage);

QPSQLHA_CONTROL_EXPORT QJsonObject errorReply(const QJsonValue &id, const QString &code,
                                              const QString &message);
QPSQLHA_CONTROL_EXPORT QJsonObject okReply(const QJsonValue &id);

// Splits a byte stream into lines, refusing to buffer more than MaximumLineLength of one line:
// an oversized line is reported once and the rest of it is skipped.
class QPSQLHA_CONTROL_EXPORT LineReader
{
public:
    void append(const QByteArray &data);
    enum class Result { None, Line, TooLarge };
    Result next(QByteArray *line);

private:
    QByteArray m_buffer;
    bool m_skipping = false; // inside an oversized line, until its newline
};

} // namespace QPsqlHa::ControlProtocol

#endif // QPSQLHACONTROLPROTOCOL_P_H
