import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonRequestBody, jsonResponse, responsesFor, schemaOf, schemaRef } from './openapi-parts';

describe('OpenAPI parts', () => {
  it('writes a zod schema as its input JSON Schema, without the $schema line', () => {
    const json = schemaOf(z.object({ n: z.coerce.number().default(3), at: z.date() }));
    expect(json.$schema).toBeUndefined();
    expect(json).toMatchObject({ type: 'object', properties: { n: { type: 'number', default: 3 }, at: {} } });
    expect(json.required).toEqual(['at']); // input side: a field with a default may be left out
  });

  it('builds JSON bodies and responses, and one response under several statuses', () => {
    expect(jsonRequestBody(schemaRef('Budget'))).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Budget' } } } });
    expect(jsonResponse()).toEqual({ description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } });
    expect(Object.keys(jsonResponse({ type: 'string' }, 'Text'))).toEqual(['description', 'content']);
    const error = jsonResponse({}, 'Error');
    expect(responsesFor(['400', '404'], error)).toEqual({ '400': error, '404': error });
  });
});
