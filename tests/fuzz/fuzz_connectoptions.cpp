// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// libFuzzer harness: the connect-option parser takes whatever an application passes to
// QSqlDatabase::setConnectOptions(). It must never crash, and an accepted result must be safe:
// quoted libpq options, valid ports, and never the password in an error.

#include <qpsqlhaconnectoptions_p.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString password = QStringLiteral("fuzz-secret-password");
    QPsqlHa::ConnectionParameters parameters;
    parameters.host = QStringLiteral("127.0.0.1");
    parameters.port = 5432;
    parameters.database = QStringLiteral("db");
    parameters.user = QStringLiteral("u");
    parameters.password = password;
    parameters.connectOptions
        = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QPsqlHa::ClusterSettings settings;
    QString error;
    if (!QPsqlHa::parseConnectionParameters(parameters, &settings, &error)) {
        if (error.isEmpty() || error.contains(password))
            __builtin_trap();
        return 0;
    }
    if (settings.nodes.isEmpty() || settings.name.isEmpty()
        || settings.healthIntervalMs < QPsqlHa::MinimumHealthIntervalMs)
        __builtin_trap();
    for (const QPsqlHa::NodeSettings &node : settings.nodes) {
        if (node.port < 1 || node.port > 65535)
            __builtin_trap();
    }
    // Every libpq value comes out quoted: nothing can start another keyword.
    const QString options = settings.qpsqlConnectOptions();
    for (const auto &[key, value] : settings.libpqOptions) {
        if (!options.contains(key + u'=' + QPsqlHa::quoteConninfoValue(value)))
            __builtin_trap();
    }
    return 0;
}
