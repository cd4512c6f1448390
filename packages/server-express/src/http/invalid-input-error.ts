import { TwinError } from '@twin/core';
import type { z } from 'zod';
import { describeValue } from './describe-value';
import type { UnknownKey } from './find-unknown-keys';

type Issue = z.core.$ZodIssue;

/** One problem with one field, as the `details.issues` of a 400 list it. */
export interface FieldIssue {
  field: string;
  message: string;
  /** The value received, quoted safely (see `describeValue`). */
  received?: string;
  /** What the field accepts: allowed values, a range, a pattern. */
  allowed?: string;
}

/** Reads the value at a zod path of the raw input, so the error can quote what was sent. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

/** What a failed check allows, in words a caller can act on (never zod's 2^53 for a max of 10^6). */
function allowedBy(issue: Issue, siblings: Issue[]): string | undefined {
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.map((v) => JSON.stringify(v)).join(', ');
    case 'invalid_union': {
      const values = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values : []));
      if (values.length) return values.map((v) => JSON.stringify(v)).join(', ');
      const types = issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : []));
      return types.length ? `one of: ${[...new Set(types)].join(', ')}` : undefined;
    }
    case 'too_big': {
      // Several bounds may fail at once (the safe-integer range and the field's own max): the tightest is the real one.
      const bounds = siblings.flatMap((i) => (i.code === 'too_big' ? [Number(i.maximum)] : []));
      const max = Math.min(...bounds);
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      return `at most ${max}${unit}`;
    }
    case 'too_small': {
      const bounds = siblings.flatMap((i) => (i.code === 'too_small' ? [Number(i.minimum)] : []));
      const min = Math.max(...bounds);
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      return issue.inclusive === false && bounds.length === 1 ? `more than ${min}${unit}` : `at least ${min}${unit}`;
    }
    case 'invalid_type':
      return issue.expected;
    case 'invalid_format':
      return issue.pattern ? `text matching ${issue.pattern}` : issue.format;
    default:
      return undefined;
  }
}

function toFieldIssues(issues: Issue[], input: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    // One entry per field and kind: `1e308` fails both the safe-integer and the field maximum.
    if (seen.has(`${field}|${issue.code}`)) continue;
    seen.add(`${field}|${issue.code}`);
    const siblings = issues.filter((i) => fieldOf(i.path) === field && i.code === issue.code);
    const allowed = allowedBy(issue, siblings);
    const value = valueAt(input, issue.path);
    const message = issue.code === 'too_big' || issue.code === 'too_small' || issue.code === 'invalid_value' || issue.code === 'invalid_union' ? 'not allowed' : issue.message;
    out.push({ field, message, received: describeValue(value), ...(allowed ? { allowed } : {}) });
  }
  return out;
}

function sentence(where: string, issue: FieldIssue): string {
  const allowed = issue.allowed ? `; allowed: ${issue.allowed}` : '';
  return `Invalid ${where}: ${issue.field}: ${issue.message} (received ${issue.received}${allowed}).`;
}

/** The 400 for input a zod schema refused: names the field, quotes the value, says what is allowed. */
export function invalidInputError(where: string, issues: Issue[], input: unknown): TwinError {
  const fieldIssues = toFieldIssues(issues, input);
  const first = fieldIssues[0] ?? { field: '(root)', message: 'invalid', received: describeValue(input) };
  return new TwinError('invalid_request', sentence(where, first), {
    details: { field: first.field, received: first.received, ...(first.allowed ? { allowed: first.allowed } : {}), issues: fieldIssues },
  });
}

/** The 400 for keys the schema does not know; a near miss names the key that was meant. */
export function unknownKeysError(where: string, unknown: UnknownKey[]): TwinError {
  const fields = unknown.map((u) => (u.at ? `${u.at}.${u.key}` : u.key));
  const first = unknown[0]!;
  const hint = first.suggestion ? `; did you mean "${first.suggestion}"?` : '.';
  const quoted = fields.map((f) => describeValue(f)).join(', ');
  return new TwinError('invalid_request', `Invalid ${where}: unknown field${fields.length > 1 ? 's' : ''} ${quoted}${hint}`, {
    details: {
      field: fields[0],
      unknownFields: fields,
      ...(first.suggestion ? { suggestion: first.at ? `${first.at}.${first.suggestion}` : first.suggestion } : {}),
    },
  });
}
