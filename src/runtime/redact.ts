/**
 * Removes credential-shaped text from a message before it becomes a status
 * condition, an Event or a log line. Error text from a member cluster or a
 * kubeconfig is written by parties Canopy does not control (a member's
 * apiserver, a YAML parser quoting its input, an exec plugin's stderr), and
 * statuses and Events are readable by tenants. This is the last line of
 * defence: the messages Canopy builds itself never quote credentials.
 */

const REDACTED = '[redacted]';

const RULES: readonly [RegExp, string][] = [
  // PEM blocks, whole or cut off (a private key or certificate quoted by a parser).
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, `${REDACTED} PEM block`],
  // A bearer token in a header or a message.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // JWTs (service-account tokens): base64url header starting `{"`.
  [/\beyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g, REDACTED],
  // kubeconfig credential fields quoted with their value (`token: abc`, `"client-key-data": "..."`).
  [
    /(["']?\b(?:token|password|client-key-data|client-certificate-data|certificate-authority-data|id-token|refresh-token|access-token|secret)\b["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi,
    `$1${REDACTED}`,
  ],
  // Credentials in a URL's user-info part.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`],
];

/** A run of base64 characters long enough to be key material or a token. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

/**
 * Base64 of random bytes mixes upper case, lower case and digits (or ends in
 * padding); Kubernetes names and API paths are lower case, so they survive.
 */
function looksEncoded(run: string): boolean {
  return run.endsWith('=') || (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run));
}

/** The message with tokens, JWTs, PEM blocks, credential fields and long base64 runs replaced. */
export function redact(message: string): string {
  let out = message;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out.replace(BASE64_RUN, (run) => (looksEncoded(run) ? REDACTED : run));
}
