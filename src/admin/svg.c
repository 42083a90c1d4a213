/* Charts as inline SVG drawn on the server: no script, no external asset, and nothing a
 * Content-Security-Policy of default-src 'self' refuses (colours come from the stylesheet
 * through classes, never from style attributes). */
#include <stdio.h>
#include <string.h>

#include "admin/internal.h"

enum { W = 720, H = 200, LEFT = 48, RIGHT = 12, TOP = 12, BOTTOM = 28 };

static int64_t largest(const int64_t *v, size_t n)
{
    int64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

static void open_svg(hbuf *h, const char *title, int height)
{
    h_printf(h, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, height, W, height);
    h_text(h, title);
    h_raw(h, "\"><title>");
    h_text(h, title);
    h_raw(h, "</title>");
}

void svg_series(hbuf *h, const char *title, const int64_t *values, size_t n, int64_t start_ms,
                int64_t bucket_ms)
{
    int64_t max = largest(values, n);
    int64_t top = max > 0 ? max : 1;
    int plot_w = W - LEFT - RIGHT, plot_h = H - TOP - BOTTOM;
    open_svg(h, title, H);
    h_printf(h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", LEFT, TOP + plot_h,
             LEFT + plot_w, TOP + plot_h);
    h_printf(h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", LEFT, TOP, LEFT,
             TOP + plot_h);
    h_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>",
             LEFT - 4, TOP + 10, (long long)max);
    h_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", LEFT - 4,
             TOP + plot_h);
    double slot = n ? (double)plot_w / (double)n : 0;
    for (size_t i = 0; i < n; i++) {
        double bh = (double)values[i] * plot_h / (double)top;
        h_printf(h, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                    "<title>%lld</title></rect>",
                 LEFT + slot * (double)i + 1, TOP + plot_h - bh, slot > 2 ? slot - 2 : slot, bh,
                 (long long)values[i]);
    }
    char from[32], to[32];
    adm_time_text(start_ms, from, sizeof from);
    adm_time_text(start_ms + bucket_ms * (int64_t)n, to, sizeof to);
    h_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\">%s</text>", LEFT, H - 8, from);
    h_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
             W - RIGHT, H - 8, to);
    h_raw(h, "</svg>");
}

void svg_hbars(hbuf *h, const char *title, const char *const *labels, const int64_t *values,
               size_t n)
{
    enum { ROW = 22, LABEL_W = 220, LABEL_MAX = 36 };
    int height = (int)(n ? n : 1) * ROW + 8;
    int64_t max = largest(values, n);
    int64_t top = max > 0 ? max : 1;
    int plot_w = W - LABEL_W - 60;
    open_svg(h, title, height);
    for (size_t i = 0; i < n; i++) {
        int y = 4 + (int)i * ROW;
        double bw = (double)values[i] * plot_w / (double)top;
        /* A label is attacker text at worst: escaped, and cut (at a character, not inside
         * one) so that it stays in its row. */
        const char *label = labels[i] ? labels[i] : "";
        size_t len = strlen(label);
        if (len > LABEL_MAX) {
            len = LABEL_MAX;
            while (len > 0 && ((unsigned char)label[len] & 0xC0) == 0x80)
                len--;
        }
        h_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 6,
                 y + 15);
        h_textn(h, label, len);
        h_printf(h, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"/>",
                 LABEL_W, y + 2, bw, ROW - 6);
        h_printf(h, "<text class=\"label\" x=\"%.1f\" y=\"%d\">%lld</text>", LABEL_W + bw + 4,
                 y + 15, (long long)values[i]);
    }
    h_raw(h, "</svg>");
}
