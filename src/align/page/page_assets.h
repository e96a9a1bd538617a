// The attention page's template, style and script (attention_page.html, .css, .js beside this
// file), compiled into the binary: CMake writes them into page_assets.cpp from
// page_assets.cpp.in at configure time, so the binary needs no files at run time.
#pragma once

namespace tinynmt::align::page_assets {

extern const char* const kHtml;  ///< attention_page.html, with the markers the page fills
extern const char* const kCss;   ///< attention_page.css
extern const char* const kJs;    ///< attention_page.js

}  // namespace tinynmt::align::page_assets
