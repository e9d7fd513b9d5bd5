// The run summary (Markdown, as summary.md holds it) rendered to HTML on the page by `marked`
// (GitHub-flavoured: pipe tables become <table>s with their column alignment). Rendered here in
// Node, so the page carries only the resulting HTML: no Markdown library is shipped to the browser.
import { Marked } from 'marked';
import { escapeHtml } from './escape.js';

/**
 * Markdown to HTML. Raw HTML in the source is shown as text (a model or dataset name cannot inject
 * markup), and headings move down `headingShift` levels so the summary's `##` sits under the page's
 * own section headings.
 */
export function markdownToHtml(source: string, headingShift = 0): string {
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      html({ text }) {
        return escapeHtml(text);
      },
      heading({ tokens, depth }) {
        const level = Math.min(6, depth + headingShift);
        return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
      },
    },
  });
  return marked.parse(source) as string;
}
