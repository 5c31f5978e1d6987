// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// libFuzzer harness: bytes as a control-channel client could send them, through the same
// framing, parsing and request handling the server uses, against a cluster of this process.

#include <qpsqlhacluster_p.h>
#include <qpsqlhacontrolprotocol_p.h>
#include <qpsqlhacontrolrequests_p.h>

#include <QtCore/qjsondocument.h>

#include <cstddef>
#include <cstdint>

namespace Protocol = QPsqlHa::ControlProtocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bool registered = [] {
        QPsqlHa::ClusterSettings settings;
        settings.name = QStringLiteral("fuzz");
        for (int port : {5432, 5433}) {
            QPsqlHa::NodeSettings node;
            node.host = QStringLiteral("127.0.0.1");
            node.port = port;
            node.role = port == 5432 ? QPsqlHa::NodeRole::Primary : QPsqlHa::NodeRole::Reader;
            settings.nodes.append(node);
        }
        QString error;
        return !QPsqlHa::ClusterRegistry::instance().acquire(settings, &error).isNull();
    }();
    if (!registered)
        __builtin_trap();

    Protocol::LineReader reader;
    reader.append(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    QByteArray line;
    for (auto result = reader.next(&line); result != Protocol::LineReader::Result::None;
         result = reader.next(&line)) {
        if (result == Protocol::LineReader::Result::TooLarge)
            continue;
        if (line.size() > Protocol::MaximumLineLength)
            __builtin_trap();
        Protocol::Request request;
        QString code;
        QString message;
        const QJsonObject reply = Protocol::parseRequest(line, &request, &code, &message)
            ? QPsqlHa::executeControlRequest(request)
            : Protocol::errorReply(request.id, code, message);
        const QByteArray wire = Protocol::encode(reply);
        if (!wire.endsWith('\n') || wire.count('\n') != 1)
            __builtin_trap(); // one reply, one line
        // What a tool would decode from arbitrary objects must not crash either.
        QPsqlHa::ProcessStatus process;
        Protocol::processFromJson(QJsonDocument::fromJson(line).object(), &process);
    }
    return 0;
}
