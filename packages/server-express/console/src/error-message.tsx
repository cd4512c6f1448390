/** A failed load's message, announced; nothing while there is none. */
export function ErrorMessage({ message }: { message: string | undefined }) {
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}
