def test_health_answers_ok_without_a_login_when_the_database_answers(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json == {"status": "ok"}
    assert client.post("/api/v1/health").status_code == 405
