// The API docs page (templates/swagger_ui.html) starts Swagger UI from this file: the pages' security headers allow
// no inline script. The OpenAPI document's address and flask-smorest's Swagger UI settings come from the page.
const container = document.getElementById("swagger-ui-container");
window.ui = SwaggerUIBundle(Object.assign({url: container.dataset.specUrl, dom_id: "#swagger-ui-container"},
                                          JSON.parse(container.dataset.config || "{}")));
