// Swagger UI's start-up, as a file of this server's own (the page's Content-Security-Policy runs no inline script).
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null, // no badge fetched from elsewhere: the docs work without internet
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
