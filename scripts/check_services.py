"""Exit non-zero unless the given PostgreSQL and Redis URLs answer."""

import sys

import environ


def main() -> int:
    database_url, redis_url = ([*sys.argv[1:], "", ""])[:2]
    if database_url:
        import psycopg

        config = environ.Env.db_url_config(database_url)
        try:
            with psycopg.connect(
                host=config["HOST"] or "127.0.0.1",
                port=config["PORT"] or 5432,
                user=config["USER"] or None,
                password=config["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=5,
            ):
                pass
        except psycopg.Error:
            return 1
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
        except redis.RedisError:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
