// The elder card page's print button (a script file: the pages' security headers allow no inline script).
document.getElementById("print-card")?.addEventListener("click", () => window.print());
