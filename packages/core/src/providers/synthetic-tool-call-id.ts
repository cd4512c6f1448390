/**
 * A prefix for the ids of tool calls the provider sent without one (Gemini, Ollama). The ids must
 * be unique across a whole conversation, not only within one response: a client sends earlier
 * calls and their results back, and `call_0` in every turn would pair a result with the wrong call.
 * Built from the provider's response id when there is one (stable in recorded transcripts), else
 * from `random` (the environment's, so tests stay deterministic).
 */
export function toolCallIdPrefix(random: () => number, responseId?: string): string {
  if (responseId) return `call_${responseId}`;
  let suffix = '';
  for (let i = 0; i < 3; i++) suffix += Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0');
  return `call_${suffix}`;
}
