export function startConsole() {}
