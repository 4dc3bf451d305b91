"""Pages driven through the test client like a browser would: logging in, forms with their CSRF token."""
import re

from .factories import PASSWORD


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Pages:
    """The test client used like a browser: forms carry the CSRF token from the page they are on."""

    def __init__(self, client):
        self.client = client

    def token(self, path="/login") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def login(self, username, password=PASSWORD, next_url=None):
        form = {"username": username, "password": password, "csrf_token": self.token()}
        if next_url is not None:
            form["next"] = next_url
        return self.client.post("/login", data=form)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.token("/")})
