// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// libFuzzer harness: the statement classifier must accept any UTF-16 text, never read outside
// it, and answer consistently.

#include <qpsqlhasessionsql_p.h>
#include <qpsqlhastatementclassifier.h>

#include <cstddef>
#include <cstdint>

// The session-state helpers share the tokenizer: same input, same guarantees; every statement
// they hand back is a piece of the input.
static void checkSessionHelpers(QStringView sql)
{
    for (const QPsqlHa::SessionStatement &statement : QPsqlHa::sessionStatements(sql)) {
        if (statement.text.utf16() < sql.utf16()
            || statement.text.utf16() + statement.text.size() > sql.utf16() + sql.size())
            __builtin_trap();
    }
    const QStringList names = QPsqlHa::temporaryObjectNames(sql);
    QPsqlHa::droppedObjectNames(sql);
    QPsqlHa::mentionsAnyName(sql, names);
    if (!names.isEmpty() && !QPsqlHa::mentionsAnyName(sql, names)
        && !sql.contains(QLatin1StringView("U&"), Qt::CaseInsensitive))
        __builtin_trap(); // a name created by the text is mentioned by it
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QPsqlHa::StatementClassifier classifier({QStringLiteral("audit_touch")});
    // Interpret the bytes both as UTF-8 (realistic SQL) and as raw UTF-16 (any code unit,
    // unpaired surrogates included), in buffers of exactly their length.
    const QString utf8 = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QPsqlHa::Classification a = classifier.classify(utf8);
    const QPsqlHa::Classification b = classifier.classify(utf8);
    if (a.route != b.route || a.reason != b.reason || a.flags != b.flags)
        __builtin_trap(); // a pure function must not depend on anything but its input
    const QStringView utf16(reinterpret_cast<const char16_t *>(data), qsizetype(size / 2));
    const QString copy = utf16.toString(); // exact-size heap buffer: ASan sees overreads
    classifier.classify(copy);
    checkSessionHelpers(utf8);
    checkSessionHelpers(copy);
    return 0;
}
