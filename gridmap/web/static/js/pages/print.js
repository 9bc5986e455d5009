// @ts-check
// A printable page's "print" button (the problem list 问题清单): the browser's print dialog, with the print CSS.
document.getElementById("print")?.addEventListener("click", () => window.print());
