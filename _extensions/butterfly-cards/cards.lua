-- The `butterfly-cards` shortcode: the landing page's cards, read when index.qmd is rendered.
--
--   {{< butterfly-cards pages/_cards.html >}}
--
-- The file (an HTML fragment, path relative to the project) is written by `butterfly run`, Quarto's pre-render
-- step. An `include` would not do: Quarto expands includes while it lists the project's input files, before the
-- pre-render step, so a fresh clone fails on the not-yet-written file. A shortcode runs only while the page is
-- rendered, after the pre-render step. butterfly_lib/site/fallback.py renders the same shortcode without Quarto.

local DEFAULT = "pages/_cards.html"

local function project_dir()
  if quarto.project ~= nil and quarto.project.directory ~= nil then
    return quarto.project.directory
  end
  return pandoc.system.get_working_directory()
end

local function read(path)
  local file = io.open(path, "r")
  if file == nil then
    return nil
  end
  local text = file:read("a")
  file:close()
  return text
end

return {
  ["butterfly-cards"] = function(args)
    local rel = DEFAULT
    if args ~= nil and #args > 0 then
      rel = pandoc.utils.stringify(args[1])
    end
    local path = pandoc.path.join({ project_dir(), rel })
    local html = read(path)
    if html == nil then
      quarto.log.warning("butterfly-cards: " .. path .. " does not exist; `butterfly run` writes it")
      return pandoc.read("*The cards appear once `butterfly run` has run.*", "markdown").blocks
    end
    if not quarto.doc.is_format("html") then
      return pandoc.Blocks({})
    end
    return pandoc.RawBlock("html", html)
  end,
}
