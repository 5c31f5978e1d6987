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
static void checkSessionHelpers(QStringView sql, bool standardConformingStrings)
{
    for (const QPsqlHa::SessionStatement &statement :
         QPsqlHa::sessionStatements(sql, standardConformingStrings)) {
        if (statement.text.utf16() < sql.utf16()
            || statement.text.utf16() + statement.text.size() > sql.utf16() + sql.size())
            __builtin_trap();
    }
    const QStringList names = QPsqlHa::temporaryObjectNames(sql, standardConformingStrings);
    QPsqlHa::droppedObjectNames(sql, standardConformingStrings);
    if (!names.isEmpty() && !QPsqlHa::mentionsAnyName(sql, names, standardConformingStrings)
        && !sql.contains(QLatin1StringView("U&"), Qt::CaseInsensitive))
        __builtin_trap(); // a name created by the text is mentioned by it
}

static bool same(const QPsqlHa::Classification &a, const QPsqlHa::Classification &b)
{
    return a.route == b.route && a.reason == b.reason && a.flags == b.flags;
}

// Both readings of '...': standard_conforming_strings on (a backslash is a character) and off
// (a backslash escapes the next character).
static void checkClassifier(const QPsqlHa::StatementClassifier &classifier, QStringView sql)
{
    const QPsqlHa::Classification on = classifier.classify(sql);
    if (!same(on, classifier.classify(sql, true)))
        __builtin_trap(); // a pure function must not depend on anything but its input
    const QPsqlHa::Classification off = classifier.classify(sql, false);
    if (!same(off, classifier.classify(sql, false)))
        __builtin_trap();
    // The setting only changes what a backslash means.
    if (!sql.contains(u'\\') && !same(on, off))
        __builtin_trap();
    checkSessionHelpers(sql, true);
    checkSessionHelpers(sql, false);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QPsqlHa::StatementClassifier classifier({QStringLiteral("audit_touch")});
    // Interpret the bytes both as UTF-8 (realistic SQL) and as raw UTF-16 (any code unit,
    // unpaired surrogates included), in buffers of exactly their length.
    const QString utf8 = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    checkClassifier(classifier, utf8);
    const QStringView utf16(reinterpret_cast<const char16_t *>(data), qsizetype(size / 2));
    const QString copy = utf16.toString(); // exact-size heap buffer: ASan sees overreads
    checkClassifier(classifier, copy);
    return 0;
}
