// NicheLM for VS Code: starts `nichelm-lsp` (stdio) for SQL files and passes the `nichelm.*` settings.
// Everything else (completion, diagnostics, hover, "Generate SQL") is the language server's work.

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;

// Settings the server reads (the `nichelm` section minus what only the extension uses).
function serverSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration("nichelm");
  const keys = ["database", "model", "generate", "autostartDaemon", "diagnostics", "debounceMs",
    "schemaPollMs", "maxDocumentBytes"];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = cfg.get(key);
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

function serverOptions(): ServerOptions {
  const cfg = vscode.workspace.getConfiguration("nichelm");
  const command = cfg.get<string>("serverPath") || "nichelm-lsp";
  const args = cfg.get<string[]>("serverArgs") ?? [];
  return { command, args, transport: TransportKind.stdio };
}

async function startClient(): Promise<void> {
  output ??= vscode.window.createOutputChannel("NicheLM", { log: true });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "sql" },
      { scheme: "untitled", language: "sql" },
    ],
    initializationOptions: { nichelm: serverSettings() },
    // Sends workspace/didChangeConfiguration with the `nichelm` section when settings change.
    synchronize: { configurationSection: "nichelm" },
    outputChannel: output,
  };
  client = new LanguageClient("nichelm", "NicheLM", serverOptions(), clientOptions);
  try {
    await client.start();
  } catch (err) {
    const command = vscode.workspace.getConfiguration("nichelm").get<string>("serverPath") || "nichelm-lsp";
    const choice = await vscode.window.showErrorMessage(
      `NicheLM: could not start the language server \`${command}\` (${String(err)}). ` +
        "Install it with `pip install nichelm` or set `nichelm.serverPath`.",
      "Open Settings",
    );
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "nichelm.serverPath");
    }
    client = undefined;
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("nichelm.restartServer", async () => {
      await stopClient();
      await startClient();
    }),
    vscode.commands.registerCommand("nichelm.showLog", () => output?.show()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // The server command itself changed: only a restart applies it.
      if (e.affectsConfiguration("nichelm.serverPath") || e.affectsConfiguration("nichelm.serverArgs")) {
        await stopClient();
        await startClient();
      }
    }),
  );
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
