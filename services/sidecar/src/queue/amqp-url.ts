/** AMQP URLs as the sidecar checks and logs them: the password never leaves this process. */

/**
 * What is wrong with an AMQP URL, worded to follow the variable's name;
 * undefined when nothing is. It never quotes the value: where a password sits
 * in a malformed URL cannot be known, so it says what kind of value it got.
 */
export function checkAmqpUrl(value: string): string | undefined {
  const wanted = 'must be an amqp:// or amqps:// URL with a host';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${wanted}, got something that is not a URL (not shown: it may hold a password)`;
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') return `${wanted}, got a '${url.protocol}' URL`;
  if (url.hostname === '') return `${wanted}, got one without a host`;
  return undefined;
}

/** The URL with its password replaced by ***, for logs and messages. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}
