/**
 * Hostile environment values and names: everything Compose v2 can carry must reach the container
 * byte for byte (issue #10 item 7). Used by the renderer's test against the real
 * `docker compose config` and by the e2e round trip through the agent to `docker exec`.
 */
export const HOSTILE_ENV: Readonly<Record<string, string>> = {
  JAVA_OPTS: "-Xmx512m -Xms256m",
  DOUBLE_QUOTES: 'say "hi"',
  SINGLE_QUOTE: "it's",
  QUOTES_MIXED: `'"'"`,
  DOLLARS: "pa$$word $HOME ${HOME} $",
  DOLLAR_BRACES: "${VAR:-default} ${X?err} $(date) `id`",
  HASHES: "a #b#c",
  HASH_FIRST: "#start",
  BACKSLASHES: "C:\\path\\to\\n\\t\\\\",
  BACKSLASH_LAST: "ends\\",
  BACKSLASH_QUOTE: '\\"',
  BACKSLASH_DOLLAR: "\\$x",
  EQUALS: "a=b==c=",
  UNICODE: "é ü 😀 中文 \u0085\u00a0",
  MULTI_LINE: "line1\nline2\n",
  CRLF: "a\r\nb\r",
  TABS: "\ta\tb\t",
  SPACES_AROUND: "  spaced  ",
  EMPTY: "",
  CONTROL: "\x01\x1b[0m\x7f",
  QUOTE_LAST: 'x"',
  QUOTE_FIRST: '"x',
  ONLY_BACKSLASH: "\\",
  ONLY_QUOTE: '"',
  JSON: '{"a":[1,2],"b":"c\\"d"}',
  URL: "postgresql://u:p%40ss@h/db?sslmode=require&x=1",
  CONNECTION_STRING: "Host=db;Database=orders;Username=u;Password=p@ss;w0rd=",
  "Serilog__MinimumLevel__Override__Microsoft.AspNetCore": "Warning",
  "my-var": "hyphen",
  "a.b-c": "dots and hyphens",
};
