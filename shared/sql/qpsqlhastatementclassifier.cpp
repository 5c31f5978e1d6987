// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhastatementclassifier.h"

#include "qpsqlhasessionsql_p.h"

#include <algorithm>

namespace QPsqlHa {

// The classifier runs for every statement the application executes, so it is a hand-written
// tokenizer over the UTF-16 text: one left-to-right pass (with a few tokens of lookahead on a
// copy of the lexer), no allocation, no locale. It follows PostgreSQL's scan.l closely enough
// that literals, quoted identifiers and comments never hide or fake a keyword; where it cannot
// be sure it routes to the primary, because running a read there is merely slower while
// running a write on a reader is the bug this class exists to prevent.

namespace {

using Route = Classification::Route;
using Reason = Classification::Reason;

// PostgreSQL folds unquoted identifiers with ASCII rules only (downcase_identifier() for
// multi-byte encodings), so keywords and function names are compared the same way.
constexpr char16_t foldCase(char16_t c) noexcept
{
    return unsigned(c) - u'A' < 26u ? char16_t(c | 0x20) : c;
}

// Character classes of scan.l: bytes >= 0x80 are identifier characters there, so every
// non-ASCII UTF-16 unit is one here.
constexpr bool isSpace(char16_t c) noexcept
{
    return c == u' ' || (c >= u'\t' && c <= u'\r');
}

constexpr bool isDigit(char16_t c) noexcept
{
    return unsigned(c) - u'0' < 10u;
}

constexpr bool isIdentifierStart(char16_t c) noexcept
{
    return unsigned(c | 0x20) - u'a' < 26u || c == u'_' || c >= 0x80;
}

constexpr bool isIdentifierPart(char16_t c) noexcept
{
    return isIdentifierStart(c) || isDigit(c) || c == u'$';
}

// keyword is lower-case ASCII.
template<size_t N>
bool equalsFolded(const char16_t *text, qsizetype size, const char (&keyword)[N]) noexcept
{
    if (size != qsizetype(N - 1))
        return false;
    for (qsizetype i = 0; i < size; ++i) {
        if (foldCase(text[i]) != char16_t(keyword[i]))
            return false;
    }
    return true;
}

bool equalsFolded(QStringView text, QStringView lowerCase) noexcept
{
    if (text.size() != lowerCase.size())
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (foldCase(text.utf16()[i]) != lowerCase.utf16()[i])
            return false;
    }
    return true;
}

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

enum class TokenType : quint8 {
    End, // end of input, or of input that could not be tokenized (see Lexer::failed)
    Word, // unquoted identifier or keyword
    QuotedIdentifier, // "..." or U&"..."
    String, // '...', E'...', U&'...', $tag$...$tag$
    Number,
    Parameter, // $1
    Symbol, // any other single character: ( ) ; , . + ...
};

struct Token
{
    const char16_t *begin = nullptr;
    qsizetype size = 0;
    TokenType type = TokenType::End;

    bool isSymbol(char16_t c) const noexcept { return type == TokenType::Symbol && *begin == c; }
    bool isStatementEnd() const noexcept { return type == TokenType::End || isSymbol(u';'); }
    bool isName() const noexcept
    {
        return type == TokenType::Word || type == TokenType::QuotedIdentifier;
    }
};

template<size_t N> bool isKeyword(const Token &token, const char (&keyword)[N]) noexcept
{
    return token.type == TokenType::Word && equalsFolded(token.begin, token.size, keyword);
}

class Lexer
{
public:
    // standardConformingStrings: the session's standard_conforming_strings; off, a backslash
    // escapes the next character in '...' as well (see skipQuoted()).
    explicit Lexer(QStringView sql, bool standardConformingStrings = true) noexcept
        : m_pos(sql.utf16())
        , m_end(m_pos + sql.size())
        , m_backslashEscapesInPlainStrings(!standardConformingStrings)
    { }

    // Skips whitespace and comments and returns the next token.
    Token next() noexcept;

    // An unterminated literal, quoted identifier or comment ended the input.
    bool failed() const noexcept { return m_failed; }
    bool sawPrimaryHint() const noexcept { return m_primaryHint; }
    // The hint only counts among the comments in front of the first keyword.
    void stopLookingForHint() noexcept { m_lookForHint = false; }

private:
    Token fail() noexcept
    {
        m_failed = true;
        m_pos = m_end;
        return {};
    }
    bool skipBlockComment() noexcept;
    bool skipPrimaryHint() noexcept;
    bool skipQuoted(bool backslashEscapes) noexcept;
    void skipNumber() noexcept;

    const char16_t *m_pos;
    const char16_t *m_end;
    bool m_backslashEscapesInPlainStrings;
    bool m_failed = false;
    bool m_lookForHint = true;
    bool m_primaryHint = false;
};

Token Lexer::next() noexcept
{
    while (m_pos < m_end) {
        const char16_t c = *m_pos;
        if (isSpace(c)) {
            ++m_pos;
        } else if (c == u'-' && m_pos + 1 < m_end && m_pos[1] == u'-') {
            m_pos += 2;
            while (m_pos < m_end && *m_pos != u'\n' && *m_pos != u'\r')
                ++m_pos;
        } else if (c == u'/' && m_pos + 1 < m_end && m_pos[1] == u'*') {
            if (!skipBlockComment())
                return fail();
        } else {
            break;
        }
    }
    if (m_pos == m_end)
        return {};

    Token token;
    token.begin = m_pos;
    const char16_t c = *m_pos;
    if (c == u'\'' || c == u'"') {
        // Quoted identifiers never know backslash escapes; '...' does when
        // standard_conforming_strings is off (scan.l starts <xe> instead of <xq> for it).
        const bool identifier = c == u'"';
        token.type = identifier ? TokenType::QuotedIdentifier : TokenType::String;
        if (!skipQuoted(!identifier && m_backslashEscapesInPlainStrings))
            return fail();
    } else if (isIdentifierStart(c)) {
        const char16_t folded = foldCase(c);
        const bool hasNext = m_pos + 1 < m_end;
        if (folded == u'e' && hasNext && m_pos[1] == u'\'') {
            token.type = TokenType::String;
            ++m_pos;
            if (!skipQuoted(true))
                return fail();
        } else if ((folded == u'b' || folded == u'x') && hasNext && m_pos[1] == u'\'') {
            // B'...' and X'...' (scan.l's <xb> and <xh>) know no backslash escapes, whatever
            // standard_conforming_strings says. A doubled quote ends them there and starts a
            // second literal, a syntax error, so reading it as one literal changes nothing.
            token.type = TokenType::String;
            ++m_pos;
            if (!skipQuoted(false))
                return fail();
        } else if (folded == u'u' && hasNext && m_pos[1] == u'&' && m_pos + 2 < m_end
                   && (m_pos[2] == u'\'' || m_pos[2] == u'"')) {
            // U&'...' and U&"..." end like their plain forms: the backslash in them starts a
            // Unicode escape, never an escaped quote.
            m_pos += 2;
            token.type = *m_pos == u'"' ? TokenType::QuotedIdentifier : TokenType::String;
            if (!skipQuoted(false))
                return fail();
        } else {
            token.type = TokenType::Word;
            ++m_pos;
            while (m_pos < m_end && isIdentifierPart(*m_pos))
                ++m_pos;
        }
    } else if (isDigit(c) || (c == u'.' && m_pos + 1 < m_end && isDigit(m_pos[1]))) {
        token.type = TokenType::Number;
        skipNumber();
    } else if (c == u'$' && m_pos + 1 < m_end && isDigit(m_pos[1])) {
        token.type = TokenType::Parameter;
        ++m_pos;
        while (m_pos < m_end && isDigit(*m_pos))
            ++m_pos;
    } else if (c == u'$') {
        // $tag$ opens a dollar-quoted string that ends at the next identical $tag$; a '$' that
        // does not form a tag is an ordinary (invalid) character.
        const char16_t *tagEnd = m_pos + 1;
        if (tagEnd < m_end && isIdentifierStart(*tagEnd)) {
            while (++tagEnd < m_end && (isIdentifierStart(*tagEnd) || isDigit(*tagEnd))) { }
        }
        if (tagEnd < m_end && *tagEnd == u'$') {
            const qsizetype tagSize = tagEnd + 1 - m_pos;
            const char16_t *p = tagEnd + 1;
            while (m_end - p >= tagSize && !(*p == u'$' && std::equal(m_pos, tagEnd + 1, p)))
                ++p;
            if (m_end - p < tagSize)
                return fail();
            token.type = TokenType::String;
            m_pos = p + tagSize;
        } else {
            token.type = TokenType::Symbol;
            ++m_pos;
        }
    } else {
        token.type = TokenType::Symbol;
        ++m_pos;
    }
    token.size = m_pos - token.begin;
    return token;
}

// m_pos is at "/*". PostgreSQL block comments nest.
bool Lexer::skipBlockComment() noexcept
{
    if (m_lookForHint && skipPrimaryHint())
        return true;
    int depth = 0;
    for (const char16_t *p = m_pos; p + 1 < m_end;) {
        if (p[0] == u'/' && p[1] == u'*') {
            ++depth;
            p += 2;
        } else if (p[0] == u'*' && p[1] == u'/') {
            p += 2;
            if (--depth == 0) {
                m_pos = p;
                return true;
            }
        } else {
            ++p;
        }
    }
    return false;
}

// m_pos is at "/*"; matches the whole comment "/* qpsqlha:primary */".
bool Lexer::skipPrimaryHint() noexcept
{
    const char16_t *p = m_pos + 2;
    while (p < m_end && isSpace(*p))
        ++p;
    static constexpr char hint[] = "qpsqlha:primary";
    constexpr qsizetype hintSize = sizeof(hint) - 1;
    if (m_end - p < hintSize || !equalsFolded(p, hintSize, hint))
        return false;
    p += hintSize;
    while (p < m_end && isSpace(*p))
        ++p;
    if (m_end - p < 2 || p[0] != u'*' || p[1] != u'/')
        return false;
    m_pos = p + 2;
    m_primaryHint = true;
    return true;
}

// m_pos is at the opening quote; a doubled quote stands for itself. With backslashEscapes (E'...'
// always, '...' with standard_conforming_strings off: scan.l's <xe> state) a backslash takes the
// next character with it, whatever that is: every <xe> rule that starts with a backslash (\',
// \n, octal, \x hex, \u and \U Unicode escapes) consumes at least that character, so only a
// quote that no backslash precedes can end the literal. Neither escape_string_warning (a
// WARNING, no more) nor backslash_quote changes where a literal ends: backslash_quote = off (or
// safe_encoding with a client-only encoding) makes scan.l raise an error on \' after it has
// matched it as an escape, so such a statement fails on every server before it runs, wherever
// it is sent.
bool Lexer::skipQuoted(bool backslashEscapes) noexcept
{
    const char16_t quote = *m_pos;
    for (const char16_t *p = m_pos + 1; p < m_end; ++p) {
        if (backslashEscapes && *p == u'\\') {
            if (++p == m_end)
                break;
        } else if (*p == quote) {
            if (p + 1 < m_end && p[1] == quote) {
                ++p;
            } else {
                m_pos = p + 1;
                return true;
            }
        }
    }
    return false;
}

// Deliberately narrow, like scan.l before PostgreSQL 15 rejected "trailing junk": "1for" is
// the number 1 followed by the keyword FOR, and "1e'x'" is 1 followed by an E'' string.
void Lexer::skipNumber() noexcept
{
    const auto skipDigits = [this] {
        while (m_pos < m_end && (isDigit(*m_pos) || *m_pos == u'_'))
            ++m_pos;
    };
    skipDigits();
    // "1..10" is an integer followed by "..".
    if (m_pos < m_end && *m_pos == u'.' && !(m_pos + 1 < m_end && m_pos[1] == u'.')) {
        ++m_pos;
        skipDigits();
    }
    if (m_pos < m_end && foldCase(*m_pos) == u'e') {
        const char16_t *p = m_pos + 1;
        if (p < m_end && (*p == u'+' || *p == u'-'))
            ++p;
        if (p < m_end && isDigit(*p)) {
            m_pos = p;
            skipDigits();
        }
    }
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

// What one statement does; classify() combines the statements of a string.
struct Statement
{
    Route route = Classification::Primary;
    Reason reason = Classification::NotAQuery;
    quint8 flags = Classification::NoFlags;
    quint8 transactionFlags = Classification::NoFlags;

    // The first reason found while scanning a read is the one reported.
    void demote(Reason why) noexcept
    {
        if (route == Classification::Reader) {
            route = Classification::Primary;
            reason = why;
        }
    }
};

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

// Scans one statement starting at token (its first token) and leaves token at the ';' that
// ends it or at the end of the input.
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

} // namespace

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

// ---- Session state helpers (qpsqlhasessionsql_p.h) ---------------------------------------------

using namespace Qt::StringLiterals;

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
