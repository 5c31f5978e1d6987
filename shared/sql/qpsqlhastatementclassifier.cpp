// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhastatementclassifier.h"

#include "qpsqlhastatementclassifier_p.h"

#include <algorithm>

namespace QPsqlHa {

// The classifier runs for every statement the application executes, so it reads the text with
// the allocation-free tokenizer of qpsqlhasqllexer_p.h, in one pass. Where it cannot be sure it
// routes to the primary, because running a read there is merely slower while running a write on
// a reader is the bug this class exists to prevent.

namespace Sql {

namespace {

template<size_t N> bool startsWithFolded(QStringView text, const char (&prefix)[N]) noexcept
{
    return text.size() >= qsizetype(N - 1) && equalsFolded(text.utf16(), qsizetype(N - 1), prefix);
}

// Position just after the first occurrence of needle in text[from...], or -1.
template<size_t N>
qsizetype findFolded(QStringView text, qsizetype from, const char (&needle)[N]) noexcept
{
    constexpr qsizetype needleSize = N - 1;
    for (qsizetype i = from; i + needleSize <= text.size(); ++i) {
        if (equalsFolded(text.utf16() + i, needleSize, needle))
            return i + needleSize;
    }
    return -1;
}

bool isAnalyzeKeyword(const Token &token) noexcept
{
    return isKeyword(token, "analyze") || isKeyword(token, "analyse");
}

// defGetBoolean() accepts false, off and 0 (as keywords or strings) for "off"; anything else
// is "on" or an error, and both are safe on the primary.
bool isFalseOption(const Token &token) noexcept
{
    if (token.type == TokenType::Number)
        return token.size == 1 && *token.begin == u'0';
    const char16_t *text = token.begin;
    qsizetype size = token.size;
    if (token.type == TokenType::String) {
        if (*text != u'\'')
            return false;
        ++text;
        size -= 2;
    } else if (token.type != TokenType::Word) {
        return false;
    }
    return equalsFolded(text, size, "false") || equalsFolded(text, size, "off")
        || equalsFolded(text, size, "0");
}

// Reads the options following EXPLAIN and leaves token at the explained statement. Returns
// whether EXPLAIN executes that statement (ANALYZE).
bool parseExplainOptions(Lexer &lexer, Token &token) noexcept
{
    bool analyze = false;
    if (!token.isSymbol(u'(')) {
        // EXPLAIN [ANALYZE] [VERBOSE] statement; any order is accepted here.
        for (;; token = lexer.next()) {
            if (isAnalyzeKeyword(token))
                analyze = true;
            else if (!isKeyword(token, "verbose"))
                return analyze;
        }
    }

    // "EXPLAIN (SELECT 1)" explains a parenthesized query: options never start with these.
    Lexer ahead = lexer;
    const Token first = ahead.next();
    if (first.isSymbol(u'(') || isKeyword(first, "select") || isKeyword(first, "values")
        || isKeyword(first, "with") || isKeyword(first, "table")) {
        return false;
    }

    token = lexer.next();
    while (!token.isStatementEnd() && !token.isSymbol(u')')) {
        const bool isAnalyze = isAnalyzeKeyword(token);
        Token value;
        int valueTokens = 0;
        for (token = lexer.next();
             !token.isStatementEnd() && !token.isSymbol(u',') && !token.isSymbol(u')');
             token = lexer.next()) {
            value = token;
            ++valueTokens;
        }
        if (isAnalyze && !(valueTokens == 1 && isFalseOption(value)))
            analyze = true;
        if (token.isSymbol(u','))
            token = lexer.next();
    }
    if (token.isSymbol(u')'))
        token = lexer.next();
    return analyze;
}

// Functions that make a read the primary's: they write or need a transaction ID, hold locks or
// settings the session keeps in one place, or read what only the primary's connection knows
// (currval, lastval) or only the primary has (its WAL position).
bool isBuiltinPrimaryOnlyFunction(QStringView name) noexcept
{
    const char16_t *s = name.utf16();
    const qsizetype n = name.size();
    if (equalsFolded(s, n, "nextval") || equalsFolded(s, n, "setval")
        || equalsFolded(s, n, "currval") || equalsFolded(s, n, "lastval")
        || equalsFolded(s, n, "set_config") || equalsFolded(s, n, "pg_notify")
        || equalsFolded(s, n, "txid_current") || equalsFolded(s, n, "txid_current_if_assigned")
        || equalsFolded(s, n, "pg_current_xact_id")
        || equalsFolded(s, n, "pg_current_xact_id_if_assigned")
        || equalsFolded(s, n, "pg_logical_emit_message")) {
        return true;
    }
    // Large objects live in pg_largeobject; even lo_get() needs a descriptor from lo_open(),
    // which only makes sense on the connection that owns it.
    if (startsWithFolded(name, "lo_"))
        return true;
    if (!startsWithFolded(name, "pg_"))
        return false;
    // WAL control and the WAL position: a standby answers "recovery is in progress" (SQLSTATE
    // 55000). The pg_*xlog* names are the spelling before PostgreSQL 10.
    if (equalsFolded(s, n, "pg_switch_wal") || equalsFolded(s, n, "pg_switch_xlog")
        || equalsFolded(s, n, "pg_create_restore_point")
        || equalsFolded(s, n, "pg_log_standby_snapshot") || equalsFolded(s, n, "pg_current_wal_lsn")
        || equalsFolded(s, n, "pg_current_xlog_location")
        || equalsFolded(s, n, "pg_current_wal_insert_lsn")
        || equalsFolded(s, n, "pg_current_xlog_insert_location")
        || equalsFolded(s, n, "pg_current_wal_flush_lsn")
        || equalsFolded(s, n, "pg_current_xlog_flush_location")
        || equalsFolded(s, n, "pg_walfile_name") || equalsFolded(s, n, "pg_xlogfile_name")
        || equalsFolded(s, n, "pg_walfile_name_offset")
        || equalsFolded(s, n, "pg_xlogfile_name_offset")) {
        return true;
    }
    // pg_*advisory*lock*: every pg_advisory_[xact_]lock[_shared], pg_try_*, pg_advisory_unlock*.
    const qsizetype afterAdvisory = findFolded(name, 3, "advisory");
    return afterAdvisory >= 0 && findFolded(name, afterAdvisory, "lock") >= 0;
}

bool isReadKeyword(const Token &token) noexcept
{
    return isKeyword(token, "select") || isKeyword(token, "values") || isKeyword(token, "with")
        || isKeyword(token, "table") || isKeyword(token, "show");
}

// Flags of a statement that is not a read, from its leading keywords. Returns whether the
// statement is CREATE [OR REPLACE] FUNCTION/PROCEDURE, whose SQL-standard body
// (BEGIN ATOMIC ... END) contains semicolons.
bool utilityFlags(Lexer ahead, const Token &keyword, Statement &statement) noexcept
{
    const bool commit = isKeyword(keyword, "commit");
    const bool rollback = isKeyword(keyword, "rollback");
    if (isKeyword(keyword, "begin")) {
        statement.transactionFlags = Classification::BeginsTransaction;
    } else if (isKeyword(keyword, "start")) {
        if (isKeyword(ahead.next(), "transaction"))
            statement.transactionFlags = Classification::BeginsTransaction;
    } else if (commit || rollback || isKeyword(keyword, "end") || isKeyword(keyword, "abort")) {
        Token token = ahead.next();
        // COMMIT/ROLLBACK PREPARED finish a two-phase transaction, not the session's one.
        if ((commit || rollback) && isKeyword(token, "prepared"))
            return false;
        if (isKeyword(token, "work") || isKeyword(token, "transaction"))
            token = ahead.next();
        // ROLLBACK TO SAVEPOINT stays inside the transaction.
        if (rollback && isKeyword(token, "to"))
            return false;
        // AND CHAIN starts a new transaction right away: the session is still in one
        // afterwards, so report what it is left with.
        bool chain = false;
        if (isKeyword(token, "and"))
            chain = !isKeyword(ahead.next(), "no");
        statement.transactionFlags
            = chain ? Classification::BeginsTransaction : Classification::EndsTransaction;
    } else if (isKeyword(keyword, "prepare")) {
        // PREPARE TRANSACTION 'gid' detaches the transaction from the session; PREPARE name AS
        // is a prepared statement.
        if (isKeyword(ahead.next(), "transaction") && ahead.next().type == TokenType::String)
            statement.transactionFlags = Classification::EndsTransaction;
    } else if (isKeyword(keyword, "set")) {
        // SET LOCAL, SET TRANSACTION and SET CONSTRAINTS last until the end of the transaction.
        const Token token = ahead.next();
        if (!isKeyword(token, "local") && !isKeyword(token, "transaction")
            && !isKeyword(token, "constraints")) {
            statement.flags |= Classification::ChangesSessionState;
        }
    } else if (isKeyword(keyword, "reset") || isKeyword(keyword, "discard")) {
        statement.flags |= Classification::ChangesSessionState;
    } else if (isKeyword(keyword, "listen") || isKeyword(keyword, "unlisten")) {
        statement.flags |= Classification::Listens;
    } else if (isKeyword(keyword, "alter") || isKeyword(keyword, "do") || isKeyword(keyword, "call")
               || isKeyword(keyword, "import")) {
        statement.flags |= Classification::DefinesObjects;
    } else if (isKeyword(keyword, "create")) {
        statement.flags |= Classification::DefinesObjects;
        Token token = ahead.next();
        if (isKeyword(token, "or")) {
            ahead.next(); // REPLACE
            token = ahead.next();
        }
        if (isKeyword(token, "global") || isKeyword(token, "local"))
            token = ahead.next();
        // Temporary views and sequences die with the session just like tables.
        if (isKeyword(token, "temp") || isKeyword(token, "temporary"))
            statement.flags |= Classification::CreatesTempTable;
        return isKeyword(token, "function") || isKeyword(token, "procedure");
    }
    return false;
}

// FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE; not FOR in substring(x FOR 2).
bool lockingClauseFollows(Lexer ahead) noexcept
{
    Token token = ahead.next();
    if (isKeyword(token, "update") || isKeyword(token, "share"))
        return true;
    if (isKeyword(token, "no")) {
        if (!isKeyword(ahead.next(), "key"))
            return false;
        return isKeyword(ahead.next(), "update");
    }
    return isKeyword(token, "key") && isKeyword(ahead.next(), "share");
}

// SELECT ... INTO [LOCAL | GLOBAL] TEMP | TEMPORARY
bool temporaryTableFollows(Lexer ahead) noexcept
{
    Token token = ahead.next();
    if (isKeyword(token, "local") || isKeyword(token, "global"))
        token = ahead.next();
    return isKeyword(token, "temp") || isKeyword(token, "temporary");
}

// The keywords that make a read something else. Dispatches on length and first letter as this
// runs for every word of every read.
void checkReadKeyword(const Lexer &lexer, const Token &token, Statement &statement) noexcept
{
    const char16_t *s = token.begin;
    const qsizetype n = token.size;
    switch (n) {
    case 3:
        if (equalsFolded(s, n, "for") && lockingClauseFollows(lexer))
            statement.demote(Classification::LockingClause);
        break;
    case 4:
        if (equalsFolded(s, n, "into")) {
            statement.demote(Classification::SelectInto);
            if (temporaryTableFollows(lexer))
                statement.flags |= Classification::CreatesTempTable;
        }
        break;
    case 5:
        if (equalsFolded(s, n, "merge"))
            statement.demote(Classification::DataModifying);
        break;
    case 6:
        switch (foldCase(*s)) {
        case u'i':
            if (equalsFolded(s, n, "insert"))
                statement.demote(Classification::DataModifying);
            break;
        case u'u':
            if (equalsFolded(s, n, "update"))
                statement.demote(Classification::DataModifying);
            break;
        case u'd':
            if (equalsFolded(s, n, "delete"))
                statement.demote(Classification::DataModifying);
            break;
        }
        break;
    case 8:
        if (equalsFolded(s, n, "truncate"))
            statement.demote(Classification::DataModifying);
        break;
    }
}

// Tracks the argument list of set_config(name, value, is_local): only is_local = true keeps
// the change inside the transaction. Anything but a literal true (false, a parameter, an
// expression) counts as a session change.
class SetConfigCall
{
public:
    bool isActive() const noexcept { return m_depth >= 0; }
    void start(int depth) noexcept
    {
        m_depth = depth;
        m_argument = 0;
        m_isLocalTokens = 0;
        m_isLocalIsTrue = false;
    }
    // Called for every token inside the call, before token changes the parenthesis depth.
    void observe(const Token &token, int depth, Statement &statement) noexcept
    {
        if (depth == m_depth && token.isSymbol(u')')) {
            finish(statement);
        } else if (depth == m_depth && token.isSymbol(u',')) {
            ++m_argument;
        } else if (m_argument == 2) {
            ++m_isLocalTokens;
            m_isLocalIsTrue = isKeyword(token, "true");
        }
    }
    void finish(Statement &statement) noexcept
    {
        if (!(m_argument == 2 && m_isLocalTokens == 1 && m_isLocalIsTrue))
            statement.flags |= Classification::ChangesSessionState;
        m_depth = -1;
    }

private:
    int m_depth = -1; // parenthesis depth inside the argument list, -1 outside
    int m_argument = 0;
    int m_isLocalTokens = 0;
    bool m_isLocalIsTrue = false;
};

} // namespace

Statement scanStatement(Lexer &lexer, Token &token, const QStringList &extraWriteFunctions) noexcept
{
    Statement statement;
    int depth = 0;
    const auto skipOpeningParentheses = [&] {
        for (; token.isSymbol(u'('); token = lexer.next())
            ++depth;
    };
    skipOpeningParentheses();
    lexer.stopLookingForHint();

    bool explainAnalyze = false;
    while (isKeyword(token, "explain")) {
        token = lexer.next();
        const bool analyze = parseExplainOptions(lexer, token);
        skipOpeningParentheses();
        if (!analyze) {
            // Plain EXPLAIN only plans the statement, whatever it is. EXPLAIN EXECUTE needs the
            // prepared statement, which exists on the primary connection only.
            if (token.type == TokenType::Word && !isKeyword(token, "execute")) {
                statement.route = Classification::Reader;
                statement.reason = Classification::ReadOnly;
            }
            // Planning CREATE TEMP TABLE ... AS or SELECT ... INTO TEMP sets up the session's
            // temporary schema, which a standby refuses (25006): found by the property check.
            if (isKeyword(token, "create") && temporaryTableFollows(lexer))
                statement.demote(Classification::NotAQuery);
            Token previous;
            while (!token.isStatementEnd()) {
                if (isKeyword(token, "into") && !previous.isSymbol(u'.')
                    && !isKeyword(previous, "as") && temporaryTableFollows(lexer)) {
                    statement.demote(Classification::SelectInto);
                }
                previous = token;
                token = lexer.next();
            }
            return statement;
        }
        explainAnalyze = true;
    }

    const bool read = isReadKeyword(token);
    bool tracksBeginEnd = false;
    if (read) {
        statement.route = Classification::Reader;
        statement.reason = Classification::ReadOnly;
    } else if (token.type == TokenType::Word) {
        tracksBeginEnd = utilityFlags(lexer, token, statement);
    }

    // Like psql: inside CREATE FUNCTION ... BEGIN ATOMIC, semicolons do not end the statement
    // until the matching END (CASE ... END nests inside it).
    int beginDepth = 0;
    SetConfigCall setConfig;
    Token previous;
    while (!token.isStatementEnd() || (token.isSymbol(u';') && beginDepth > 0)) {
        if (setConfig.isActive())
            setConfig.observe(token, depth, statement);

        if (token.type == TokenType::Word) {
            // A word after '.' or AS is a column, field or alias name (t.update, 1 AS insert).
            if (read && !previous.isSymbol(u'.') && !isKeyword(previous, "as"))
                checkReadKeyword(lexer, token, statement);
            if (tracksBeginEnd && depth == 0) {
                if (isKeyword(token, "begin"))
                    ++beginDepth;
                else if (beginDepth > 0 && isKeyword(token, "case"))
                    ++beginDepth;
                else if (beginDepth > 0 && isKeyword(token, "end"))
                    --beginDepth;
            }
        } else if (token.isSymbol(u'(')) {
            ++depth;
            if (previous.isName()) {
                QStringView name(previous.begin, previous.size);
                bool unicodeEscapes = false;
                if (previous.type == TokenType::QuotedIdentifier) {
                    unicodeEscapes = *previous.begin != u'"';
                    name = name.sliced(unicodeEscapes ? 3 : 1).chopped(1);
                }
                if (equalsFolded(name.utf16(), name.size(), "set_config")) {
                    // A set_config() nested in another one is not worth untangling.
                    if (setConfig.isActive())
                        statement.flags |= Classification::ChangesSessionState;
                    else
                        setConfig.start(depth);
                }
                if (read) {
                    // A U&"..." name may spell any function with escapes: do not decode it.
                    const bool needsPrimary = unicodeEscapes || isBuiltinPrimaryOnlyFunction(name)
                        || std::any_of(extraWriteFunctions.cbegin(), extraWriteFunctions.cend(),
                                       [name](const QString &function) {
                                           return equalsFolded(name, function);
                                       });
                    if (needsPrimary)
                        statement.demote(Classification::WriteFunction);
                }
            }
        } else if (token.isSymbol(u')')) {
            --depth;
        }
        previous = token;
        token = lexer.next();
    }
    if (setConfig.isActive())
        setConfig.finish(statement);
    if (explainAnalyze && statement.route == Classification::Primary)
        statement.reason = Classification::ExplainAnalyzeWrite;
    return statement;
}

} // namespace Sql

using namespace Sql;

StatementClassifier::StatementClassifier(const QStringList &extraWriteFunctions)
{
    m_extraWriteFunctions.reserve(extraWriteFunctions.size());
    for (const QString &function : extraWriteFunctions) {
        // Calls are matched on the function name alone, so drop a schema if one was given.
        const QString name = function.trimmed();
        const QString unqualified = name.sliced(name.lastIndexOf(u'.') + 1);
        if (!unqualified.isEmpty())
            m_extraWriteFunctions.append(unqualified.toLower());
    }
}

// A string is a read only if it holds exactly one statement and that statement is a read.
// Flags describe the whole string: session flags of all statements are combined, and the
// transaction flags are those of the last statement that begins or ends a transaction, i.e.
// the state the session is left in.
Classification StatementClassifier::classify(QStringView sql,
                                             bool standardConformingStrings) const noexcept
{
    Lexer lexer(sql, standardConformingStrings);
    Classification result;
    quint8 sessionFlags = Classification::NoFlags;
    quint8 transactionFlags = Classification::NoFlags;
    int statements = 0;
    for (Token token = lexer.next(); token.type != TokenType::End; token = lexer.next()) {
        // Empty statements, as in ";;" or "; SELECT 1", are skipped by the server as well.
        if (token.isSymbol(u';'))
            continue;
        const Statement statement = scanStatement(lexer, token, m_extraWriteFunctions);
        if (++statements == 1) {
            result.route = statement.route;
            result.reason = statement.reason;
        }
        sessionFlags |= statement.flags;
        if (statement.transactionFlags != Classification::NoFlags)
            transactionFlags = statement.transactionFlags;
        if (token.type == TokenType::End)
            break;
    }
    result.flags = sessionFlags | transactionFlags;

    // An unterminated literal or comment is a syntax error on any server. It cannot be
    // classified reliably either: whatever follows the opening quote might be meant as SQL.
    if (lexer.failed()) {
        result.route = Classification::Primary;
        result.reason = Classification::NotAQuery;
    } else if (statements == 0) {
        result.route = Classification::Primary;
        result.reason = Classification::Empty;
    } else if (lexer.sawPrimaryHint()) {
        result.route = Classification::Primary;
        result.reason = Classification::PrimaryHint;
    } else if (statements > 1) {
        result.route = Classification::Primary;
        result.reason = Classification::MultiStatement;
    }
    return result;
}

const char *StatementClassifier::reasonName(Classification::Reason reason) noexcept
{
    switch (reason) {
    case Classification::ReadOnly:
        return "read-only";
    case Classification::NotAQuery:
        return "not a query";
    case Classification::Empty:
        return "empty";
    case Classification::PrimaryHint:
        return "primary hint";
    case Classification::MultiStatement:
        return "multiple statements";
    case Classification::LockingClause:
        return "locking clause";
    case Classification::SelectInto:
        return "select into";
    case Classification::DataModifying:
        return "data-modifying";
    case Classification::WriteFunction:
        return "write function";
    case Classification::ExplainAnalyzeWrite:
        return "explain analyze write";
    }
    return "unknown";
}

} // namespace QPsqlHa
