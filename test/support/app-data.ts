import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { Comment, Post, User } from '../../src/shared/app-data/model';
import { AppRepository } from '../../src/shared/app-data/repository';

/** Distinct, increasing model timestamps with microseconds (fixed width, UTC). */
export const at = (n: number) =>
  `${new Date(Date.UTC(2031, 0, 1) + n * 1000).toISOString().slice(0, 19)}.${String((n * 37) % 1e6).padStart(6, '0')}Z`;

export const appError = (code: string, status: number) => expect.objectContaining({ code, status });

/**
 * Writers of fresh users, posts, comments and votes through a repository; `next` gives each a
 * timestamp later than every one before it.
 */
export function appFixtures(repo: () => AppRepository, next: () => string) {
  return {
    newUser: (name = `user-${randomUUID().slice(0, 8)}`): Promise<User> =>
      repo().createUser({
        id: randomUUID(),
        username: name,
        email: `${name}@example.com`,
        passwordHash: `hash-of-${name}`,
        createdAt: next(),
      }),

    newPost: (authorId: string, createdAt = next(), title = 'a title'): Promise<Post> =>
      repo().createPost({ id: randomUUID(), authorId, title, content: 'text', createdAt }),

    newComment: (
      postId: string,
      authorId: string,
      parentId: string | null = null,
    ): Promise<Comment> =>
      repo().createComment({
        id: randomUUID(),
        postId,
        authorId,
        parentId,
        content: 'a comment',
        createdAt: next(),
      }),

    voteOn: (
      userId: string,
      targetType: 'post' | 'comment',
      targetId: string,
      postId: string,
      voteType = 'like',
    ) =>
      repo().vote({
        id: randomUUID(),
        userId,
        targetType,
        targetId,
        postId,
        voteType,
        createdAt: next(),
      }),
  };
}

/** A root comment just written by `newComment`: no children, no votes, never edited. */
export const freshRootComment = (comment: Comment, post: Post, author: User): Comment => ({
  id: comment.id,
  postId: post.id,
  authorId: author.id,
  authorUsername: author.username,
  parentId: null,
  path: `${comment.id}/`,
  depth: 0,
  content: 'a comment',
  childCount: 0,
  voteCount: 0,
  voteCounts: {},
  createdAt: comment.createdAt,
  updatedAt: comment.createdAt,
});
