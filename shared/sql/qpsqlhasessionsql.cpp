// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhasessionsql_p.h"

#include "qpsqlhastatementclassifier_p.h"

#include <algorithm>

// The session-statement helpers (qpsqlhasessionsql_p.h): what the session state needs from a
// statement's text beyond its classification. They walk the text with the classifier's lexer and
// statement scan; unlike classify() they allocate, and run only for the statements it flagged.

namespace QPsqlHa {

using namespace Qt::StringLiterals;
using namespace Sql;

namespace {

constexpr char16_t foldedAt(QStringView text, qsizetype i) noexcept
{
    return foldCase(text.utf16()[i]);
}

QString foldedString(QStringView text)
{
    QString folded(text.size(), Qt::Uninitialized);
    for (qsizetype i = 0; i < text.size(); ++i)
        folded[i] = QChar(foldedAt(text, i));
    return folded;
}

// A quoted identifier or string's content with the doubled quotes made single.
QString unquoted(const Token &token)
{
    const char16_t quote = token.begin[token.size - 1];
    QString text;
    text.reserve(token.size - 2);
    for (qsizetype i = 1; i + 1 < token.size; ++i) {
        text += QChar(token.begin[i]);
        if (token.begin[i] == quote)
            ++i;
    }
    return text;
}

bool isPlainQuoted(const Token &token) noexcept
{
    return *token.begin == u'"' || *token.begin == u'\'';
}

// An identifier as PostgreSQL stores it. A U&"..." name is kept as written: it is not decoded,
// and mentionsAnyName() treats every such name as a mention anyway.
QString identifierName(const Token &token)
{
    if (token.type == TokenType::Word)
        return foldedString(QStringView(token.begin, token.size));
    if (isPlainQuoted(token))
        return unquoted(token);
    return QString(reinterpret_cast<const QChar *>(token.begin), token.size);
}

// Setting names are case-insensitive in every spelling, quoted or not.
QString settingName(const Token &token)
{
    return foldedString(identifierName(token));
}

bool quotedEquals(const Token &token, QStringView name) noexcept
{
    qsizetype at = 0;
    for (qsizetype i = 1; i + 1 < token.size; ++i) {
        if (at == name.size() || token.begin[i] != name.utf16()[at++])
            return false;
        if (token.begin[i] == u'"')
            ++i;
    }
    return at == name.size();
}

bool isPgTemp(const Token &token) noexcept
{
    static constexpr char prefix[] = "pg_temp";
    constexpr qsizetype prefixSize = sizeof(prefix) - 1;
    if (token.type == TokenType::Word)
        return token.size >= prefixSize && equalsFolded(token.begin, prefixSize, prefix);
    if (token.type != TokenType::QuotedIdentifier || *token.begin != u'"')
        return false;
    return token.size >= prefixSize + 1
        && std::equal(prefix, prefix + prefixSize, token.begin + 1,
                      [](char a, char16_t b) { return char16_t(a) == b; });
}

template<typename Visit>
void forEachStatement(QStringView sql, bool standardConformingStrings, Visit visit)
{
    Lexer lexer(sql, standardConformingStrings);
    const QStringList noFunctions;
    for (Token token = lexer.next(); token.type != TokenType::End; token = lexer.next()) {
        if (token.isSymbol(u';'))
            continue;
        const char16_t *begin = token.begin;
        const Statement statement = scanStatement(lexer, token, noFunctions);
        const char16_t *end = token.type == TokenType::End ? sql.utf16() + sql.size() : token.begin;
        visit(QStringView(begin, end).trimmed(), statement);
        if (token.type == TokenType::End)
            break;
    }
}

// The key of SET name / RESET name, with the SQL-standard spellings mapped to their settings.
QString settingKey(Lexer &lexer, const Token &token, SessionStatement::Kind *kind)
{
    if (!token.isName())
        return QString();
    if (isKeyword(token, "time"))
        return u"timezone"_s;
    if (isKeyword(token, "schema"))
        return u"search_path"_s;
    if (isKeyword(token, "names"))
        return u"client_encoding"_s;
    if (isKeyword(token, "xml"))
        return u"xmloption"_s;
    QString key = settingName(token);
    Lexer ahead = lexer;
    if (ahead.next().isSymbol(u'.')) {
        const Token part = ahead.next();
        if (part.isName())
            key += u'.' + settingName(part);
    }
    // The role outlives RESET ALL (see SessionState for what supersedes it).
    if (key == "role"_L1 || key == "session_authorization"_L1)
        *kind = SessionStatement::Role;
    return key;
}

// SELECT [pg_catalog.]set_config('name', value, is_local) [[AS] alias], nothing else: the one
// form whose effect is known to be exactly "set name".
QString setConfigKey(QStringView text, bool standardConformingStrings)
{
    Lexer lexer(text, standardConformingStrings);
    if (!isKeyword(lexer.next(), "select"))
        return QString();
    Token token = lexer.next();
    if (isKeyword(token, "pg_catalog")) {
        if (!lexer.next().isSymbol(u'.'))
            return QString();
        token = lexer.next();
    }
    if (!isKeyword(token, "set_config") || !lexer.next().isSymbol(u'('))
        return QString();
    const Token name = lexer.next();
    if (name.type != TokenType::String || *name.begin != u'\'' || !lexer.next().isSymbol(u','))
        return QString();
    int depth = 1;
    while (depth > 0) {
        token = lexer.next();
        if (token.type == TokenType::End)
            return QString();
        if (token.isSymbol(u'('))
            ++depth;
        else if (token.isSymbol(u')'))
            --depth;
    }
    token = lexer.next();
    if (isKeyword(token, "as"))
        token = lexer.next();
    if (token.isName())
        token = lexer.next();
    if (token.type != TokenType::End || lexer.failed())
        return QString();
    // Without standard_conforming_strings a backslash in the name is an escape that unquoted()
    // does not decode: leave the key unknown rather than guess it.
    if (!standardConformingStrings && QStringView(name.begin, name.size).contains(u'\\'))
        return QString();
    return foldedString(unquoted(name));
}

SessionStatement describeSessionStatement(QStringView text, bool standardConformingStrings)
{
    SessionStatement statement;
    statement.text = text;
    Lexer lexer(text, standardConformingStrings);
    const Token first = lexer.next();
    if (isKeyword(first, "set")) {
        Token token = lexer.next();
        if (isKeyword(token, "session")) {
            token = lexer.next();
            if (isKeyword(token, "authorization")) {
                statement.kind = SessionStatement::Role;
                statement.key = u"session_authorization"_s;
            }
            if (isKeyword(token, "authorization") || isKeyword(token, "characteristics"))
                return statement;
        }
        statement.key = settingKey(lexer, token, &statement.kind);
    } else if (isKeyword(first, "reset")) {
        const Token token = lexer.next();
        if (isKeyword(token, "all"))
            statement.kind = SessionStatement::ResetAll;
        else if (isKeyword(token, "session")) { // RESET SESSION AUTHORIZATION
            statement.kind = SessionStatement::Role;
            statement.key = u"session_authorization"_s;
        } else
            statement.key = settingKey(lexer, token, &statement.kind);
    } else if (isKeyword(first, "discard")) {
        const Token token = lexer.next();
        if (isKeyword(token, "all"))
            statement.kind = SessionStatement::DiscardAll;
        else if (isKeyword(token, "temp") || isKeyword(token, "temporary"))
            statement.kind = SessionStatement::DiscardTemp;
        else
            statement.kind = SessionStatement::NoState;
    } else if (isKeyword(first, "listen") || isKeyword(first, "unlisten")) {
        const Token channel = lexer.next();
        if (channel.isSymbol(u'*')) {
            statement.kind = SessionStatement::UnlistenAll;
        } else {
            statement.kind = isKeyword(first, "listen") ? SessionStatement::Listen
                                                        : SessionStatement::Unlisten;
            if (channel.isName())
                statement.key = u"listen:"_s + identifierName(channel);
        }
    } else {
        statement.key = setConfigKey(text, standardConformingStrings);
        if (statement.key == "role"_L1 || statement.key == "session_authorization"_L1)
            statement.kind = SessionStatement::Role;
    }
    return statement;
}

} // namespace

QList<SessionStatement> sessionStatements(QStringView sql, bool standardConformingStrings)
{
    QList<SessionStatement> statements;
    forEachStatement(
        sql, standardConformingStrings, [&](QStringView text, const Statement &statement) {
            if (statement.flags & (Classification::ChangesSessionState | Classification::Listens))
                statements.append(describeSessionStatement(text, standardConformingStrings));
        });
    return statements;
}

QStringList temporaryObjectNames(QStringView sql, bool standardConformingStrings)
{
    QStringList names;
    Lexer lexer(sql, standardConformingStrings);
    Token previous;
    for (Token token = lexer.next(); token.type != TokenType::End; token = lexer.next()) {
        const bool temporary = isKeyword(token, "temp") || isKeyword(token, "temporary");
        if (temporary
            && (isKeyword(previous, "create") || isKeyword(previous, "replace")
                || isKeyword(previous, "global") || isKeyword(previous, "local")
                || isKeyword(previous, "into"))) {
            // [RECURSIVE | UNLOGGED] [TABLE | VIEW | SEQUENCE] [IF NOT EXISTS] name
            token = lexer.next();
            if (isKeyword(token, "recursive") || isKeyword(token, "unlogged"))
                token = lexer.next();
            if (isKeyword(token, "table") || isKeyword(token, "view")
                || isKeyword(token, "sequence"))
                token = lexer.next();
            if (isKeyword(token, "if")) {
                lexer.next(); // NOT
                lexer.next(); // EXISTS
                token = lexer.next();
            }
            if (token.isName()) {
                Token name = token;
                Lexer ahead = lexer;
                if (ahead.next().isSymbol(u'.')) { // pg_temp.name
                    const Token part = ahead.next();
                    if (part.isName())
                        name = part;
                }
                const QString stored = identifierName(name);
                if (!names.contains(stored))
                    names.append(stored);
            }
        }
        previous = token;
    }
    return names;
}

QStringList droppedObjectNames(QStringView sql, bool standardConformingStrings)
{
    QStringList names;
    forEachStatement(sql, standardConformingStrings, [&](QStringView text, const Statement &) {
        Lexer lexer(text, standardConformingStrings);
        if (!isKeyword(lexer.next(), "drop"))
            return;
        for (Token token = lexer.next(); token.type != TokenType::End; token = lexer.next()) {
            if (!token.isName())
                continue;
            Lexer ahead = lexer;
            if (ahead.next().isSymbol(u'.')) {
                // schema.name: only pg_temp holds temporary objects.
                const Token part = ahead.next();
                lexer = ahead;
                if (isPgTemp(token) && part.isName())
                    names.append(identifierName(part));
                continue;
            }
            names.append(identifierName(token));
        }
    });
    return names;
}

bool mentionsAnyName(QStringView sql, const QStringList &names, bool standardConformingStrings)
{
    Lexer lexer(sql, standardConformingStrings);
    for (Token token = lexer.next(); token.type != TokenType::End; token = lexer.next()) {
        if (!token.isName())
            continue;
        if (isPgTemp(token))
            return true;
        // A U&"..." name may spell any name with escapes: do not decode it.
        if (token.type == TokenType::QuotedIdentifier && *token.begin != u'"')
            return true;
        const QStringView text(token.begin, token.size);
        for (const QString &name : names) {
            if (token.type == TokenType::Word ? equalsFolded(text, name)
                                              : quotedEquals(token, name))
                return true;
        }
    }
    return false;
}

} // namespace QPsqlHa
