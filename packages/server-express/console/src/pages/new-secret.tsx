import { useState } from 'react';

/**
 * A key's secret, shown the one time the API returns it (create, rotate). Closing the panel drops it
 * from the page's state: the console keeps no copy, and the API cannot show it again.
 */
export function NewSecret({ title, secret, onClose }: { title: string; secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed'>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard (an insecure origin, a denied permission): the text stays selectable.
      setCopied('failed');
    }
  };
  return (
    <div className="secret" role="dialog" aria-label="New API key" data-testid="new-secret">
      <h2>{title}</h2>
      <p>Copy it now: it is shown this once and cannot be read again (only its prefix is stored).</p>
      <p>
        <code className="secret-value" data-testid="secret-value">
          {secret}
        </code>
      </p>
      <button type="button" onClick={copy}>
        {copied === 'yes' ? 'Copied' : 'Copy'}
      </button>{' '}
      <button type="button" onClick={onClose}>
        Done
      </button>
      {copied === 'failed' && <span className="error"> The browser refused the clipboard: select the key and copy it.</span>}
    </div>
  );
}
