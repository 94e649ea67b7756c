"""The SOQL the client sends: parse, filter, order and project records held as JSON.

Supported: ``SELECT f1, Parent.f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]``. A condition compares a field with a
string, number, true/false/null, date or datetime literal (``=``, ``!=``, ``<>``, ``<``,
``<=``, ``>``, ``>=``), or uses ``[NOT] IN (literals)``, ``[NOT] IN (SELECT f FROM ...)``
(a semi-join), ``[NOT] LIKE 'a%'``; conditions combine with AND, OR, NOT and parentheses,
and as in Salesforce AND and OR cannot be mixed without parentheses. Text comparisons
ignore case, as in Salesforce, and ``!=`` matches records where the field is null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from .records import SfError
from .storage import Storage, normal_id

SERVER_DATETIMES = {"createddate", "lastmodifieddate", "systemmodstamp"}
_KEYWORDS = {"select", "from", "where", "and", "or", "not", "in", "like", "order", "by", "asc", "desc", "nulls",
             "first", "last", "limit", "offset", "true", "false", "null", "count", "includes", "excludes", "group",
             "having", "with", "for", "using", "typeof"}
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2}(?![\dT:]))
    |(?P<number>[+-]?\d+(?:\.\d+)?(?![\w-]))
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\", "%": "\\%",
            "_": "\\_"}
MAX_OFFSET = 2000


def malformed(message: str) -> SfError:
    return SfError("MALFORMED_QUERY", message)


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, datetime, date
    value: Any


@dataclass
class Query:
    sobject: str
    fields: list[str]
    count: bool = False
    where: tuple | None = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # (field, descending, nulls_last)
    limit: int | None = None
    offset: int = 0


@dataclass
class _Token:
    kind: str
    text: str
    column: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


def tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            snippet = text[position:position + 10]
            if snippet.startswith("'"):
                raise malformed(f"unterminated string starting at column {position + 1}")
            raise malformed(f"unexpected character {snippet[:1]!r} at column {position + 1}")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise malformed("unexpected end of query")
        self.i += 1
        return token

    def unexpected(self, token: _Token | None) -> SfError:
        if token is None:
            return malformed("unexpected end of query")
        return malformed(f"unexpected token: '{token.text}' at column {token.column}")

    def expect_word(self, word: str) -> None:
        token = self.peek()
        if token is None or token.word != word:
            raise self.unexpected(token) if token else malformed(f"expected {word.upper()} at the end of the query")
        self.i += 1

    def expect(self, text: str) -> None:
        token = self.peek()
        if token is None or token.text != text:
            raise self.unexpected(token)
        self.i += 1

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.word in words

    def name(self, what: str) -> str:
        token = self.take()
        if token.kind != "name" or token.word in _KEYWORDS:
            raise malformed(f"expected {what}, found '{token.text}' at column {token.column}")
        return token.text

    # query := SELECT fields FROM name [WHERE cond] [ORDER BY ...] [LIMIT n] [OFFSET n]
    def query(self, *, nested: bool = False) -> Query:
        self.expect_word("select")
        fields, count = [], False
        if self.at_word("count"):
            self.take()
            self.expect("(")
            self.expect(")")
            count = True
        else:
            while True:
                fields.append(self.name("a field name"))
                if self.peek() is None or self.peek().text != ",":
                    break
                self.take()
        seen = set()
        for name in fields:
            if name.lower() in seen:
                raise malformed(f"duplicate field selected: {name}")
            seen.add(name.lower())
        self.expect_word("from")
        query = Query(sobject=self.name("an object name"), fields=fields, count=count)
        if self.at_word("where"):
            self.take()
            query.where = self.condition()
        if self.at_word("order"):
            self.take()
            self.expect_word("by")
            while True:
                name = self.name("a field to order by")
                descending = nulls_last = False
                if self.at_word("asc", "desc"):
                    descending = self.take().word == "desc"
                if self.at_word("nulls"):
                    self.take()
                    if not self.at_word("first", "last"):
                        raise self.unexpected(self.peek())
                    nulls_last = self.take().word == "last"
                query.order.append((name, descending, nulls_last))
                if self.peek() is None or self.peek().text != ",":
                    break
                self.take()
        if self.at_word("limit"):
            self.take()
            query.limit = self.whole_number("LIMIT")
        if self.at_word("offset"):
            self.take()
            query.offset = self.whole_number("OFFSET")
            if query.offset > MAX_OFFSET:
                raise SfError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        token = self.peek()
        if token is not None and not (nested and token.text == ")"):
            raise self.unexpected(token)
        return query

    def whole_number(self, clause: str) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise malformed(f"{clause} needs a whole number, found '{token.text}' at column {token.column}")
        return int(token.text)

    # cond := term ((AND|OR) term)*, with one kind of connective per level
    def condition(self) -> tuple:
        terms = [self.term()]
        connective = None
        while self.at_word("and", "or"):
            token = self.take()
            if connective and token.word != connective:
                raise malformed(
                    f"unexpected token: '{token.text}' at column {token.column}: "
                    "use parentheses to mix AND and OR"
                )
            connective = token.word
            terms.append(self.term())
        return terms[0] if connective is None else (connective, terms)

    def term(self) -> tuple:
        if self.at_word("not"):
            self.take()
            return ("not", self.term())
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.condition()
            self.expect(")")
            return inner
        name = self.name("a field name")
        negate = False
        if self.at_word("not"):
            self.take()
            negate = True
            if not self.at_word("in", "like"):
                raise self.unexpected(self.peek())
        if self.at_word("in"):
            self.take()
            self.expect("(")
            if self.at_word("select"):
                sub = self.query(nested=True)
                self.expect(")")
                if sub.count or len(sub.fields) != 1:
                    raise malformed("a semi-join subquery selects exactly one field, like SELECT Id FROM Case")
                return ("in", name, negate, sub)
            values = [self.literal()]
            while self.peek() is not None and self.peek().text == ",":
                self.take()
                values.append(self.literal())
            self.expect(")")
            return ("in", name, negate, values)
        if self.at_word("like"):
            self.take()
            pattern = self.literal()
            if pattern.kind != "string":
                raise malformed(f"LIKE needs a string pattern for {name}")
            return ("like", name, negate, pattern.value)
        token = self.take()
        if token.kind != "op":
            raise malformed(f"expected a comparison after {name}, found '{token.text}' at column {token.column}")
        op = "!=" if token.text == "<>" else token.text
        value = self.literal()
        if value.kind == "null" and op not in ("=", "!="):
            raise malformed(f"null can only be compared with = or != ({name} {op} null)")
        return ("cmp", name, op, value)

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", _unquote(token.text))
        if token.kind == "number":
            number = float(token.text)
            return Literal("number", int(number) if number.is_integer() and "." not in token.text else number)
        if token.kind == "datetime":
            return Literal("datetime", _parse_datetime(token.text))
        if token.kind == "date":
            return Literal("date", token.text)
        if token.word in ("true", "false"):
            return Literal("boolean", token.word == "true")
        if token.word == "null":
            return Literal("null", None)
        raise malformed(f"expected a value, found '{token.text}' at column {token.column}")


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise malformed(f"invalid escape sequence \\{nxt} in {text}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@lru_cache(maxsize=65536)
def _parse_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise malformed("the query is empty")
    return _Parser(text).query()


# --- running a query ------------------------------------------------------------------------


class Runner:
    """Runs parsed queries against the storage."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def run(self, query: Query, version: str, *, all_rows: bool = False) -> tuple[int, list[dict[str, Any]]]:
        """(totalSize, records projected as Salesforce returns them).

        `all_rows` is queryAll: deleted records (IsDeleted true) and archived activities are
        included. A plain query leaves both out (REST API Developer Guide, "QueryAll").
        """
        storage = self.storage
        sobject = storage.object_name(query.sobject)
        if sobject is None:
            raise SfError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported. If you are attempting "
                                          "to use a custom object, be sure to append the '__c' after the entity name.")
        parents: dict[str, Any] = {}
        for name in [*query.fields, *(name for name, _, _ in query.order)]:
            self._getter(sobject, name, parents)  # an unknown field is INVALID_FIELD even when nothing matches
        predicate = self._compile(sobject, query.where, parents) if query.where else None
        rows = storage.scan(sobject, with_deleted=all_rows, **self._pushdown(query.where))
        if not all_rows and storage.field_name(sobject, "IsArchived"):
            rows = (r for r in rows if not r.get("IsArchived"))
        matched = [r for r in rows if predicate is None or predicate(r)]
        if query.count:
            return len(matched), []
        for name, descending, nulls_last in reversed(query.order):
            getter = self._getter(sobject, name, parents)
            present = [r for r in matched if getter(r) is not None]
            absent = [r for r in matched if getter(r) is None]
            present.sort(key=lambda r: _sort_key(getter(r)), reverse=descending)
            matched = present + absent if nulls_last else absent + present
        matched = matched[query.offset:]
        if query.limit is not None:
            matched = matched[:query.limit]
        project = self._projector(sobject, query.fields, version, parents)
        return len(matched), [project(r) for r in matched]

    def _pushdown(self, where: tuple | None) -> dict[str, Any]:
        """Conditions the SQL scan can apply: SystemModstamp lower bounds and Id lists."""
        terms = where[1] if where and where[0] == "and" else [where] if where else []
        scan: dict[str, Any] = {}
        for term in terms:
            if term[0] == "cmp" and term[1].lower() == "systemmodstamp" and term[2] in (">", ">="):
                literal = term[3]
                if literal.kind == "datetime" and literal.value is not None:
                    scan["modstamp_after"] = int(literal.value.timestamp() * 1000)
                    scan["inclusive"] = term[2] == ">="
            elif term[1:2] and isinstance(term[1], str) and term[1].lower() == "id":
                if term[0] == "cmp" and term[2] == "=" and term[3].kind == "string":
                    scan["ids"] = [normal_id(term[3].value) or term[3].value]
                elif term[0] == "in" and not term[2] and isinstance(term[3], list):
                    scan["ids"] = [normal_id(v.value) or str(v.value) for v in term[3]]
        return scan

    def _getter(self, sobject: str, name: str, parents: dict[str, Any]) -> Callable[[dict], Any]:
        if "." not in name:
            canonical = self._field(sobject, name)
            return lambda record: record.get(canonical)
        relation, _, rest = name.partition(".")
        if "." in rest:
            raise SfError("INVALID_FIELD", f"{name}: the sandbox follows one parent relationship only")
        described = self.storage.contract.object(sobject)
        reference = next((f for f in described.fields.values()
                          if f.type == "reference" and (f.relationshipName or "").lower() == relation.lower()), None)
        if reference is None:
            raise SfError("INVALID_FIELD", f"Didn't understand relationship '{relation}' in field path. If you are "
                                           "attempting to use a custom relationship, be sure to append the '__r' "
                                           "after the custom relationship name.")
        for parent_type in reference.referenceTo:
            if self.storage.field_name(parent_type, rest) is None:
                raise SfError("INVALID_FIELD", f"No such column '{rest}' on entity '{parent_type}'.")

        def get(record: dict) -> Any:
            parent = self._parent(record.get(reference.name), parents)
            return None if parent is None else get_ignoring_case(parent[1], rest)

        return get

    def _field(self, sobject: str, name: str) -> str:
        canonical = self.storage.field_name(sobject, name)
        if canonical is None:
            raise SfError("INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'. If you are attempting "
                                           "to use a custom field, be sure to append the '__c' after the custom "
                                           "field name.")
        return canonical

    def _parent(self, parent_id: Any, parents: dict[str, Any]) -> tuple[str, dict] | None:
        if not isinstance(parent_id, str):
            return None
        if parent_id not in parents:
            found = self.storage.get(parent_id)
            parents[parent_id] = (found[0], found[1]) if found and not found[2] else None
        return parents[parent_id]

    def _compile(self, sobject: str, node: tuple, parents: dict[str, Any]) -> Callable[[dict], bool]:
        kind = node[0]
        if kind in ("and", "or"):
            parts = [self._compile(sobject, n, parents) for n in node[1]]
            if kind == "and":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if kind == "not":
            inner = self._compile(sobject, node[1], parents)
            return lambda r: not inner(r)
        name = node[1]
        get = self._getter(sobject, name, parents)
        if kind == "like":
            regex = _like_regex(node[3])
            negate = node[2]
            return lambda r: (isinstance(get(r), str) and regex.match(get(r)) is not None) != negate
        if kind == "in":
            negate, values = node[2], node[3]
            if isinstance(values, Query):
                _total, rows = self.run(Query(values.sobject, values.fields, where=values.where), "60.0")
                key = values.fields[0]
                wanted = {_fold(get_ignoring_case(row, key)) for row in rows} - {None}
                return lambda r: (_fold(get(r)) in wanted) != negate
            tests = [_comparison(name, "=", v) for v in values]
            return lambda r: any(t(get(r)) for t in tests) != negate
        test = _comparison(name, node[2], node[3])
        return lambda r: test(get(r))

    def _projector(self, sobject: str, names: list[str], version: str,
                   parents: dict[str, Any]) -> Callable[[dict], dict]:
        base = f"/services/data/v{version}/sobjects/"
        plan = []
        for name in names:
            if "." in name:
                relation, _, rest = name.partition(".")
                plan.append((relation, rest, self._getter(sobject, relation + "." + "Id", parents), name))
            else:
                plan.append((self._field(sobject, name), None, None, name))

        def project(record: dict) -> dict:
            out: dict[str, Any] = {"attributes": {"type": sobject, "url": base + sobject + "/" + record["Id"]}}
            for key, rest, parent_id_of, _ in plan:
                if rest is None:
                    if sobject == "ContentVersion" and key.lower() == "versiondata":
                        out["VersionData"] = base + "ContentVersion/" + record["Id"] + "/VersionData"
                    else:
                        out[key] = record.get(key)
                    continue
                parent_id = parent_id_of(record)
                parent = self._parent(parent_id, parents) if parent_id else None
                if parent is None:
                    out.setdefault(key, None)
                    continue
                nested = out.get(key) or {"attributes": {"type": parent[0], "url": base + parent[0] + "/" + parent_id}}
                field_name = next((k for k in parent[1] if k.lower() == rest.lower()), rest)
                nested[field_name] = parent[1].get(field_name)
                out[key] = nested
            return out

        return project


def get_ignoring_case(record: dict, name: str) -> Any:
    if name in record:
        return record[name]
    lowered = name.lower()
    return next((v for k, v in record.items() if k.lower() == lowered), None)


def _fold(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    return value


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (2, str(value).casefold())


def _like_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def _comparison(name: str, op: str, literal: Literal) -> Callable[[Any], bool]:
    """A test of one record value against a literal, with Salesforce's null rules."""
    kind, wanted = literal.kind, literal.value
    if name.lower() in SERVER_DATETIMES and kind not in ("datetime", "null"):
        raise SfError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{name}' must be of type dateTime and should not be enclosed "
            "in quotes",
        )
    if kind == "datetime" and wanted is None:
        raise malformed(f"invalid datetime literal for {name}")
    if kind == "null":
        return (lambda v: v is None) if op == "=" else (lambda v: v is not None)

    if kind == "string":
        target = normal_id(wanted) if len(wanted) == 15 and normal_id(wanted) else wanted
        folded = target.casefold()

        def convert(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            return str(v).casefold()

        return _ordered(op, convert, folded)
    if kind == "number":
        def convert(v):
            if isinstance(v, bool):
                return None
            if isinstance(v, (int, float)):
                return v
            try:
                return float(v)
            except (TypeError, ValueError):
                return None

        return _ordered(op, convert, wanted)
    if kind == "boolean":
        if op not in ("=", "!="):
            raise malformed(f"a boolean can only be compared with = or != ({name})")
        return (lambda v: v is wanted) if op == "=" else (lambda v: v is not wanted)
    if kind == "datetime":
        return _ordered(op, lambda v: _parse_datetime(v) if isinstance(v, str) else None, wanted)
    # date: compare the date part of the stored value
    return _ordered(op, lambda v: v[:10] if isinstance(v, str) and len(v) >= 10 else None, wanted)


def _ordered(op: str, convert: Callable[[Any], Any], wanted: Any) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        if value is None:
            return op == "!="
        have = convert(value)
        if have is None:
            return op == "!="
        if op == "=":
            return have == wanted
        if op == "!=":
            return have != wanted
        if op == "<":
            return have < wanted
        if op == "<=":
            return have <= wanted
        if op == ">":
            return have > wanted
        return have >= wanted

    return test
