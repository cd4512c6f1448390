import { z } from 'zod';

/** A piece of an OpenAPI document, as plain JSON. */
export type Json = Record<string, unknown>;

/** A zod schema as the JSON Schema of a request (input side; what JSON cannot say is left open). */
export function schemaOf(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

/** A reference to a schema under `components.schemas`. */
export function schemaRef(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

/** A response with a JSON body of `schema` (any object by default). */
export function jsonResponse(schema: Json = { type: 'object' }, description = 'OK'): Json {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body of `schema`. */
export function jsonRequestBody(schema: Json): Json {
  return { required: true, content: { 'application/json': { schema } } };
}

/** The content of a Server-Sent Events response. */
export const eventStreamContent = { 'text/event-stream': { schema: { type: 'string' } } };

/** The same response under each status code. */
export function responsesFor(statuses: readonly string[], response: Json): Json {
  return Object.fromEntries(statuses.map((status) => [status, response]));
}
