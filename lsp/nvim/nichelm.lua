-- NicheLM language server for SQL files in Neovim: schema-aware completion, diagnostics, hover and
-- "Generate SQL" from a question comment. No plugins needed; works on Neovim 0.7 (vim.lsp.start_client
-- + buf_attach_client) and on 0.8+ (vim.lsp.start).
--
-- Use (init.lua):
--   package.path = "/path/to/nichelm/lsp/nvim/?.lua;" .. package.path   -- or copy into ~/.config/nvim/lua/
--   require("nichelm").setup({
--     settings = { database = "shop.sqlite" },   -- optional; see lsp/README.md for all settings
--   })
-- or without touching package.path:
--   dofile("/path/to/nichelm/lsp/nvim/nichelm.lua").setup({})

local M = {}

M.defaults = {
  -- The server command; nichelm-lsp must be on PATH (pip install nichelm), or give a full path,
  -- e.g. { "/path/to/venv/bin/nichelm-lsp" } or { "python3", "-m", "nichelm.lsp.server" }.
  cmd = { "nichelm-lsp" },
  -- File types to attach to.
  filetypes = { "sql" },
  -- Files or folders that mark the workspace root (searched upwards from the file). The root is where
  -- a lone .sqlite/.db file is found and what a relative `database` setting is relative to.
  root_markers = { ".git", ".nichelm" },
  -- Server settings (the `nichelm` section): database, model, debounceMs, diagnostics, generate, ...
  settings = {},
  -- Set omnifunc so <C-x><C-o> asks the server.
  omnifunc = true,
}

local clients = {} -- root dir -> client id (Neovim 0.7 path only)

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

local function find_root(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local start = name ~= "" and dirname(name) or vim.fn.getcwd()
  for _, marker in ipairs(markers) do
    local dir = vim.fn.finddir(marker, start .. ";")
    if dir ~= "" then
      return dirname(vim.fn.fnamemodify(dir, ":p:h"))
    end
    local file = vim.fn.findfile(marker, start .. ";")
    if file ~= "" then
      return dirname(vim.fn.fnamemodify(file, ":p"))
    end
  end
  return (vim.fn.fnamemodify(start, ":p"):gsub("/$", ""))
end

function M.config_for(bufnr, opts)
  local root = find_root(bufnr, opts.root_markers)
  local uri = vim.uri_from_fname(root)
  return {
    name = "nichelm",
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = uri, name = root } },
    init_options = { nichelm = opts.settings },
    settings = { nichelm = opts.settings },
  }
end

function M.attach(bufnr, opts)
  opts = opts or M.options or M.defaults
  local config = M.config_for(bufnr, opts)
  local id
  if vim.lsp.start then
    id = vim.lsp.start(config, { bufnr = bufnr })
  else
    -- Neovim 0.7: one client per root, started once and attached to each buffer.
    id = clients[config.root_dir]
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      id = vim.lsp.start_client(config)
      clients[config.root_dir] = id
    end
    if id then
      vim.lsp.buf_attach_client(bufnr, id)
    end
  end
  if id and opts.omnifunc then
    vim.api.nvim_buf_set_option(bufnr, "omnifunc", "v:lua.vim.lsp.omnifunc")
  end
  return id
end

function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", {}, M.defaults, opts or {})
  local group = vim.api.nvim_create_augroup("nichelm_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      M.attach(args.buf, M.options)
    end,
  })
  return M
end

return M
